/**
 * The engine's view of the run settings. They are declared once in protocol/settings.ts (types, ranges, defaults)
 * and validated by protocol/settings-validate.ts; these names stay so engine code and its tests read as before.
 */
export { ConfigError, resolveRunConfig as resolveConfig } from '../../../protocol/settings-validate';
export { DEFAULT_RUN_CONFIG as DEFAULT_CONFIG } from '../../../protocol/settings';
