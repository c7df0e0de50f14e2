/**
 * An environment as the configuration reads it (`process.env`, or a ConfigService's values).
 * A leaf of its own: config/ and notify/ both read environments, and neither imports the other
 * for this type.
 */
export type Env = Record<string, string | undefined>;
