/** kmipd configuration: types, loader and redaction. */
export type { KmipdConfig, LimitsConfig, LogLevel, Pkcs11Config } from './types.js';
export { LOG_LEVELS } from './types.js';
export { ConfigError } from './parse.js';
export { DEFAULT_LIMITS, KMIP_PORT, defaultTlsFiles, ioThreadEnabled, loadConfig, redactedConfig, type LoadConfigOptions } from './load.js';
