/** A JSON value: what configs and state dictionaries are made of, so they always serialize. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** A JSON object, the shape of every component `config`. */
export type JsonObject = { readonly [key: string]: Json };
