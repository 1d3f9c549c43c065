/** Attribute operations (Get Attributes, Get Attribute List, Add / Set / Modify / Delete / Adjust Attribute). */
import type { OperationHandler } from '../types.js';
import addAttribute from './add-attribute.js';
import adjustAttribute from './adjust-attribute.js';
import deleteAttribute from './delete-attribute.js';
import getAttributeList from './get-attribute-list.js';
import getAttributes from './get-attributes.js';
import modifyAttribute from './modify-attribute.js';
import setAttribute from './set-attribute.js';

export const attributeOperations: readonly OperationHandler<never, never>[] = [
  getAttributes,
  getAttributeList,
  addAttribute,
  setAttribute,
  modifyAttribute,
  deleteAttribute,
  adjustAttribute,
] as unknown as OperationHandler<never, never>[];
