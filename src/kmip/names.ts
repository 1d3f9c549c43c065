/**
 * Spec names -> the CamelCase names of the text encodings.
 * KMIP Additional Message Encodings v1.0 §4.1.3 / §6.1.3 (carried into KMIP Profiles 2.x §5):
 *   1. replace "(" and ")" with spaces;
 *   2. a non-word character followed by a letter and then a lower-case letter becomes a space;
 *   3. any other non-word character (other than white space) becomes "_";
 *   4. leading digits of the first word move to the end of that word;
 *   5. capitalise the first letter of each word;
 *   6. join the words.
 * Examples from the OASIS XML vectors: "Pre-Active" -> "PreActive", "SHA-256" -> "SHA_256",
 * "3DES" -> "DES3", "PKCS#1" -> "PKCS_1", "X.509" -> "X_509", "Re-key" -> "ReKey".
 */

/** Normalise a KMIP spec name (tag, enumeration value or mask bit) to its CamelCase form. */
export function camelCaseName(specName: string): string {
  // Step 1.
  let s = specName.replace(/[()]/g, ' ');
  // Step 2: the lookahead keeps the letters; only the separator is replaced.
  s = s.replace(/[^\w\s](?=[A-Za-z][a-z])/g, ' ');
  // Step 3.
  s = s.replace(/[^\w\s]/g, '_');
  const words = s.split(/\s+/).filter((w) => w.length > 0);
  // Step 4: "3DES" -> "DES3"; a word that is all digits stays as it is.
  const first = words[0];
  if (first !== undefined) {
    const m = /^(\d+)(.+)$/.exec(first);
    if (m?.[1] !== undefined && m[2] !== undefined) words[0] = m[2] + m[1];
  }
  // Steps 5 and 6: only the first letter changes; "minLOS_128" -> "MinLOS_128".
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
