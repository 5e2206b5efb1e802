import { describeValue, isPlainObject } from "./config-reader.js";
import { BackpropError } from "./errors.js";
import type { JsonObject } from "./json.js";

/** Options of {@link Registry.register}. */
export interface RegisterOptions {
  /** Replace an existing entry with the same name instead of throwing. Default false. */
  readonly override?: boolean;
}

/**
 * A component as model files store it: its registry name and its hyperparameters.
 * @example
 * ```ts
 * const stored: StoredComponent = { name: "leakyRelu", config: { alpha: 0.2 } };
 * ```
 */
export interface StoredComponent {
  /** Registry name, e.g. `"leakyRelu"`. */
  readonly name: string;
  /** Hyperparameters; omitted means the defaults. */
  readonly config?: JsonObject;
}

/**
 * Anything {@link Registry.resolve} accepts: a registered name, a stored `{ name, config }`, or a
 * component already built.
 * @example
 * ```ts
 * const specs: ComponentSpec<Activation>[] = ["relu", { name: "elu", config: { alpha: 0.5 } }, sigmoid];
 * ```
 */
export type ComponentSpec<C> = string | StoredComponent | C;

/**
 * What a registry's entries build, for {@link Registry.create} and {@link Registry.resolve}.
 * @typeParam T - the entry type (a factory)
 * @typeParam C - the component type
 * @example
 * ```ts
 * const component: ComponentOptions<LossFactory, Loss> = { label: "a Loss", is: isLoss, keys: ["compute"] };
 * ```
 */
export interface ComponentOptions<T, C> {
  /** The component with its article, for messages: `"an Activation"`. */
  readonly label: string;
  /**
   * True for a built component: `resolve` returns one as it is, and factory results are checked
   * with it. Default: an object with a string `name` and a function under each of `keys`.
   */
  readonly is?: (value: unknown) => value is C;
  /** Builds a component from an entry. Default: calls the entry with the config. */
  readonly create?: (entry: T, config: JsonObject | undefined, name: string) => C;
  /** Methods only a built component has (`"f"`, `"compute"`): an object with one is never read as `{ name, config }`. */
  readonly keys?: readonly string[];
  /** The entry for a component given as is in a per-call `custom` map. Default: one that returns it whatever the config. */
  readonly fixed?: (component: C, name: string) => T;
  /** Shown when `resolve` is given something it cannot use. Default: the registered names. */
  readonly hint?: string;
}

/**
 * How a {@link Registry} is set up.
 * @example
 * ```ts
 * const options: RegistryOptions<LossFactory, Loss> = {
 *   kind: "loss",
 *   builtins: { mse: meanSquaredError },
 *   registerHint: 'register it first: registerLoss("myproject>myLoss", (config) => …)',
 *   where: { get: "getLoss", resolve: "resolveLoss", register: "registerLoss" },
 *   component: { label: "a Loss", is: isLoss, keys: ["compute"] },
 * };
 * ```
 */
export interface RegistryOptions<T, C> {
  /**
   * What the entries are, for messages (`"activation"`); also names the entries shared by every
   * copy of the package, under `Symbol.for("backprop.registry.<kind>")` on `globalThis`.
   */
  readonly kind: string;
  /** The entries every registry starts with, or a function giving them on first use (no work at import). */
  readonly builtins?: Readonly<Record<string, T>> | (() => Readonly<Record<string, T>>);
  /** How a user registers one, shown when a name is unknown; a function receives that name. */
  readonly registerHint?: string | ((name: string) => string);
  /** The public functions, prefixed to messages: `{ get: "getActivation", resolve: "resolveActivation", … }`. */
  readonly where?: { readonly get?: string; readonly resolve?: string; readonly register?: string };
  /** What `register` and per-call `custom` maps accept. Default: functions when `component` is set, else anything. */
  readonly isEntry?: (value: unknown) => value is T;
  /** What the entries build; needed for a checked `create` and for `resolve`. */
  readonly component?: ComponentOptions<T, C>;
}

/**
 * Options of {@link Registry.create} and {@link Registry.resolve}.
 * @example
 * ```ts
 * registry.create("acme>cube", undefined, { custom: { "acme>cube": cube } });
 * ```
 */
export interface CreateOptions<T, C> {
  /** Entries known only to this call, looked up before the registry (Keras' `custom_objects`): factories or built components. */
  readonly custom?: Readonly<Record<string, T | C>>;
}

/** `T`'s return type when it is a function: what a registry of factories builds by default. */
type Built<T> = T extends (...args: never[]) => infer R ? R : unknown;

type Maker<C> = (config: JsonObject | undefined) => C;

const KEY_PREFIX = "backprop.registry.";

// NOTE: on globalThis under Symbol.for, not in a module variable, so a second copy of a package
// (two versions in one node_modules, or ESM and a bundled copy) registers into the same map: a
// model file naming a custom component then loads whichever copy reads it.
function sharedEntries<T>(kind: string): Map<string, T> {
  const key = Symbol.for(KEY_PREFIX + kind);
  const holder = globalThis as unknown as Record<symbol, unknown>;
  const existing = holder[key];
  if (existing instanceof Map) return existing as Map<string, T>;
  const created = new Map<string, T>();
  try {
    Object.defineProperty(globalThis, key, { value: created, configurable: true, enumerable: false, writable: false });
  } catch {
    // NOTE: a frozen globalThis (SES lockdown) cannot hold it; entries then stay with this copy.
  }
  return created;
}

function hasMethods(value: unknown, keys: readonly string[]): boolean {
  if (typeof value !== "object" || value === null || typeof (value as { name?: unknown }).name !== "string") return false;
  return keys.every((key) => typeof (value as Record<string, unknown>)[key] === "function");
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, "");
}

/**
 * The one name → component registry: built-ins that cannot be removed, user entries on top, and
 * the lookups every package needs — `get` an entry, `create` a component from a name and config,
 * `resolve` a name, a stored `{ name, config }` or a built component.
 *
 * Built-ins belong to this instance. User entries are shared by every registry of the same `kind`
 * in the process, through a map on `globalThis` keyed by `Symbol.for("backprop.registry.<kind>")`,
 * so a component registered through one copy of a package resolves through another.
 *
 * Unknown names throw `UNKNOWN_COMPONENT` listing every registered name, with a hint on how to
 * register one (and the registered spelling of a near miss), so a model file naming a missing
 * custom component explains itself.
 *
 * @typeParam T - the entry type (an activation factory, an optimizer factory, …)
 * @typeParam C - what an entry builds; by default the return type of a factory `T`
 * @example
 * ```ts
 * const shapes = new Registry<number>("shape", { square: 4 });
 * shapes.register("acme>hexagon", 6);
 * shapes.get("acme>hexagon"); // 6
 *
 * const losses = new Registry<LossFactory>({ kind: "loss", builtins: { mse: meanSquaredError } });
 * losses.resolve({ name: "mse" }); // meanSquaredError()
 * ```
 */
export class Registry<T, C = Built<T>> {
  /** What the entries are, for messages: `"activation"`, `"optimizer"`. */
  readonly kind: string;
  private builtinSource: (() => Readonly<Record<string, T>>) | undefined;
  private builtinMap: ReadonlyMap<string, T> | undefined;
  private customMap: Map<string, T> | undefined;
  private readonly registerHint: string | ((name: string) => string);
  private readonly where: { readonly get: string; readonly resolve: string; readonly register: string };
  private readonly isEntry: ((value: unknown) => value is T) | undefined;
  private readonly component: ComponentOptions<T, C> | undefined;
  private readonly isComponent: ((value: unknown) => value is C) | undefined;

  /**
   * @param options - the kind, built-ins, hint, message prefixes and what entries build
   */
  constructor(options: RegistryOptions<T, C>);
  /**
   * @param kind - what the entries are, used in messages and to share user entries
   * @param builtins - the entries every registry starts with
   * @param registerHint - how a user registers one, shown when a name is unknown
   */
  constructor(kind: string, builtins?: Readonly<Record<string, T>>, registerHint?: string);
  constructor(first: string | RegistryOptions<T, C>, builtins?: Readonly<Record<string, T>>, registerHint?: string) {
    const o: RegistryOptions<T, C> = typeof first === "string" ? { kind: first, builtins, registerHint } : first;
    this.kind = o.kind;
    const source = o.builtins ?? {};
    // NOTE: an object is copied now, so later changes to it cannot alter the built-ins.
    if (typeof source === "function") this.builtinSource = source;
    else this.builtinMap = new Map(Object.entries(source));
    this.registerHint = o.registerHint ?? `register it first with the ${o.kind} registry's register(name, value)`;
    const fallback = `${o.kind} registry`;
    this.where = { get: o.where?.get ?? fallback, resolve: o.where?.resolve ?? fallback, register: o.where?.register ?? fallback };
    this.component = o.component;
    const keys = o.component?.keys ?? [];
    this.isComponent = o.component?.is ?? (keys.length === 0 ? undefined : (v: unknown): v is C => hasMethods(v, keys));
    this.isEntry = o.isEntry ?? (o.component === undefined ? undefined : (v: unknown): v is T => typeof v === "function");
  }

  private get builtins(): ReadonlyMap<string, T> {
    if (this.builtinMap === undefined) {
      this.builtinMap = new Map(Object.entries(this.builtinSource?.() ?? {}));
      this.builtinSource = undefined;
    }
    return this.builtinMap;
  }

  private get custom(): Map<string, T> {
    this.customMap ??= sharedEntries<T>(this.kind);
    return this.customMap;
  }

  /**
   * Adds a user entry, visible to every registry of this kind. Built-in names cannot be replaced;
   * other names need `override` to replace.
   * @throws BackpropError `DUPLICATE_COMPONENT` when the name is taken; `INVALID_ARGUMENT` for an
   *   empty name or a value that is not an entry
   * @example
   * ```ts
   * registry.register("acme>swish", swishFactory, { override: true });
   * ```
   */
  register(name: string, value: T, options: RegisterOptions = {}): void {
    const where = this.where.register;
    if (typeof name !== "string" || name.length === 0) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `${where}: name must be a non-empty string (got ${describeValue(name)}, expected e.g. "myproject>my${this.kind}")`,
      );
    }
    if (this.isEntry !== undefined && !this.isEntry(value)) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `${where}("${name}"): factory must be a function (got ${describeValue(value)}, expected (config) => ${this.kind})`,
      );
    }
    if (this.builtins.has(name)) {
      throw new BackpropError(
        "DUPLICATE_COMPONENT",
        `${where}: "${name}" is a built-in ${this.kind} and cannot be replaced`,
        { hint: `choose another name, e.g. a namespaced one like "myproject>${name}"` },
      );
    }
    if (this.custom.has(name) && options.override !== true) {
      throw new BackpropError("DUPLICATE_COMPONENT", `${where}: "${name}" is already registered`, {
        hint: "pass { override: true } to replace it",
      });
    }
    this.custom.set(name, value);
  }

  /**
   * Removes a user entry; returns whether there was one. Built-ins stay.
   * @example
   * ```ts
   * registry.unregister("acme>swish"); // true
   * ```
   */
  unregister(name: string): boolean {
    return !this.builtins.has(name) && this.custom.delete(name);
  }

  /**
   * Whether `name` resolves.
   * @example
   * ```ts
   * registry.has("relu"); // true
   * ```
   */
  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  /**
   * The entry for `name`, or undefined. Built-ins come first, so a user entry registered through
   * another copy of the package never shadows one of this copy's built-ins.
   * @example
   * ```ts
   * registry.find("nope"); // undefined
   * ```
   */
  find(name: string): T | undefined {
    return this.builtins.get(name) ?? this.custom.get(name);
  }

  /**
   * The entry for `name`.
   * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered names
   * @example
   * ```ts
   * registry.get("relu");
   * ```
   */
  get(name: string): T {
    const found = this.find(name);
    if (found === undefined) throw this.unknown(name, []);
    return found;
  }

  /**
   * The component `name` builds from `config`: the entry (from `options.custom`, then the
   * registry) called with the config, and its result checked.
   * @throws BackpropError `INVALID_ARGUMENT` for an empty name or a bad custom entry;
   *   `UNKNOWN_COMPONENT` listing the registered names; `INVALID_STATE` when the factory returns
   *   something else than a component; whatever the factory throws (`INVALID_CONFIG`)
   * @example
   * ```ts
   * activations.create("leakyRelu", { alpha: 0.2 });
   * ```
   */
  create(name: string, config?: JsonObject, options: CreateOptions<T, C> = {}): C {
    const where = this.where.get;
    if (typeof name !== "string" || name.length === 0) {
      const example = this.builtinNames()[0];
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `${where}: name must be a non-empty string (got ${describeValue(name)}, expected ${example === undefined ? `a ${this.kind} name` : `e.g. "${example}"`})`,
      );
    }
    const made: unknown = this.makerFor(name, options.custom)(config);
    const component = this.component;
    if (component !== undefined && this.isComponent !== undefined && !this.isComponent(made)) {
      throw new BackpropError(
        "INVALID_STATE",
        `${where}("${name}"): the registered factory returned ${describeValue(made)} (expected ${component.label})`,
        { hint: `a ${this.kind} factory must return ${component.label}` },
      );
    }
    return made as C;
  }

  /**
   * Turns whatever a caller or a model file holds into a component: a name, a stored
   * `{ name, config }` (through {@link Registry.create}), or a component, returned as it is.
   * @throws BackpropError as {@link Registry.create}; `INVALID_CONFIG` for a config that is not an
   *   object; `INVALID_ARGUMENT` for anything else
   * @example
   * ```ts
   * activations.resolve("relu");
   * activations.resolve({ name: "elu", config: { alpha: 0.5 } });
   * activations.resolve(sigmoid); // sigmoid
   * ```
   */
  resolve(spec: ComponentSpec<C>, options: CreateOptions<T, C> = {}): C {
    if (typeof spec === "string") return this.create(spec, undefined, options);
    const component = this.component;
    if (this.isComponent?.(spec) === true) return spec as C;
    const keys = component?.keys ?? [];
    if (typeof spec === "object" && spec !== null && !Array.isArray(spec) && !keys.some((k) => k in spec)) {
      const { name, config } = spec as Partial<Record<string, unknown>>;
      if (typeof name === "string") {
        if (config !== undefined && !isPlainObject(config)) {
          throw new BackpropError(
            "INVALID_CONFIG",
            `${this.where.resolve}("${name}"): config must be an object (got ${describeValue(config)}, expected e.g. {})`,
          );
        }
        return this.create(name, config as JsonObject | undefined, options);
      }
    }
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${this.where.resolve}: invalid ${this.kind} (got ${describeValue(spec)}, expected a name, { name, config } or ${component?.label ?? `a ${this.kind}`})`,
      { hint: component?.hint ?? `registered: ${this.names().join(", ")}` },
    );
  }

  /**
   * Every resolvable name, built-ins first, each group sorted.
   * @example
   * ```ts
   * registry.names(); // ["elu", "relu", "acme>swish"]
   * ```
   */
  names(): string[] {
    const custom = [...this.custom.keys()].filter((name) => !this.builtins.has(name));
    return [...this.builtinNames(), ...custom.sort()];
  }

  /**
   * The names of the built-in entries, sorted.
   * @example
   * ```ts
   * registry.builtinNames(); // ["elu", "relu"]
   * ```
   */
  builtinNames(): string[] {
    return [...this.builtins.keys()].sort();
  }

  private makerFor(name: string, custom: CreateOptions<T, C>["custom"]): Maker<C> {
    if (custom !== undefined && Object.hasOwn(custom, name)) {
      const entry: unknown = custom[name];
      const component = this.component;
      if (component !== undefined && this.isComponent?.(entry) === true) {
        if (component.fixed === undefined) return () => entry;
        return this.maker(component.fixed(entry as C, name), name);
      }
      if (this.isEntry === undefined || this.isEntry(entry)) return this.maker(entry as T, name);
      const label = component?.label ?? `a ${this.kind}`;
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `${this.where.get}: custom entry "${name}" is neither ${label} nor a factory (got ${describeValue(entry)}, expected ${label} or (config) => ${this.kind})`,
      );
    }
    const found = this.find(name);
    if (found === undefined) throw this.unknown(name, custom === undefined ? [] : Object.keys(custom));
    return this.maker(found, name);
  }

  private maker(entry: T, name: string): Maker<C> {
    const create = this.component?.create;
    if (create !== undefined) return (config) => create(entry, config, name);
    if (typeof entry !== "function") {
      throw new BackpropError("INVALID_STATE", `${this.where.get}("${name}"): the ${this.kind} entry is not a factory (got ${describeValue(entry)})`);
    }
    return entry as Maker<C>;
  }

  private unknown(name: string, extra: readonly string[]): BackpropError {
    const known = [...this.names(), ...extra];
    const text = String(name);
    const close = known.find((k) => normalise(k) === normalise(text));
    const hint = typeof this.registerHint === "function" ? this.registerHint(text) : this.registerHint;
    return new BackpropError(
      "UNKNOWN_COMPONENT",
      `${this.where.get}: unknown ${this.kind} ${JSON.stringify(text)} (registered: ${known.join(", ")})`,
      { hint: close === undefined ? hint : `did you mean "${close}"? Otherwise ${hint}` },
    );
  }
}
