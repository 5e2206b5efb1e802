import { BackpropError } from "./errors.js";

/** Options of {@link Registry.register}. */
export interface RegisterOptions {
  /** Replace an existing entry with the same name instead of throwing. Default false. */
  readonly override?: boolean;
}

/**
 * A name → component map with built-ins that cannot be removed and user entries on top.
 *
 * Lookups of unknown names throw an error listing every registered name, with a hint on how to
 * register one, so a model file naming a missing custom component explains itself.
 *
 * @typeParam T - the component type (an activation factory, an optimizer factory, …)
 * @example
 * ```ts
 * const shapes = new Registry<number>("shape", { square: 4 });
 * shapes.register("acme>hexagon", 6);
 * shapes.get("acme>hexagon"); // 6
 * ```
 */
export class Registry<T> {
  /** What the entries are, for messages: `"activation"`, `"optimizer"`. */
  readonly kind: string;
  private readonly builtins: ReadonlyMap<string, T>;
  private readonly custom = new Map<string, T>();
  private readonly registerHint: string;

  /**
   * @param kind - what the entries are, used in messages
   * @param builtins - the entries every registry starts with
   * @param registerHint - how a user registers one, shown when a name is unknown
   */
  constructor(kind: string, builtins: Readonly<Record<string, T>> = {}, registerHint?: string) {
    this.kind = kind;
    this.builtins = new Map(Object.entries(builtins));
    this.registerHint = registerHint ?? `register it first with the ${kind} registry's register(name, value)`;
  }

  /**
   * Adds a user entry. Built-in names cannot be replaced; other names need `override` to replace.
   * @throws BackpropError `DUPLICATE_COMPONENT` when the name is taken
   */
  register(name: string, value: T, options: RegisterOptions = {}): void {
    if (typeof name !== "string" || name.length === 0) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.kind} registry: name must be a non-empty string`);
    }
    if (this.builtins.has(name)) {
      throw new BackpropError(
        "DUPLICATE_COMPONENT",
        `${this.kind} registry: "${name}" is a built-in ${this.kind} and cannot be replaced`,
        { hint: `choose another name, e.g. a namespaced one like "myproject>${name}"` },
      );
    }
    if (this.custom.has(name) && options.override !== true) {
      throw new BackpropError(
        "DUPLICATE_COMPONENT",
        `${this.kind} registry: "${name}" is already registered`,
        { hint: "pass { override: true } to replace it" },
      );
    }
    this.custom.set(name, value);
  }

  /** Removes a user entry; returns whether there was one. Built-ins stay. */
  unregister(name: string): boolean {
    return this.custom.delete(name);
  }

  /** Whether `name` resolves. */
  has(name: string): boolean {
    return this.custom.has(name) || this.builtins.has(name);
  }

  /** The entry for `name`, or undefined. */
  find(name: string): T | undefined {
    return this.custom.get(name) ?? this.builtins.get(name);
  }

  /**
   * The entry for `name`.
   * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered names
   */
  get(name: string): T {
    const found = this.find(name);
    if (found === undefined) {
      throw new BackpropError(
        "UNKNOWN_COMPONENT",
        `unknown ${this.kind} "${String(name)}" (registered: ${this.names().join(", ")})`,
        { hint: this.registerHint },
      );
    }
    return found;
  }

  /** Every resolvable name, built-ins first, each group sorted. */
  names(): string[] {
    return [...[...this.builtins.keys()].sort(), ...[...this.custom.keys()].sort()];
  }

  /** The names of the built-in entries. */
  builtinNames(): string[] {
    return [...this.builtins.keys()].sort();
  }
}
