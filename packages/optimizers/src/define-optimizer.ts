import {
  BackpropError,
  readConfig,
  readField,
  type ConfigField,
  type FloatArray,
  type Json,
  type JsonObject,
  type Param,
  type ParameterUpdate,
  type SlotHolder,
} from "@backprop/linalg";
import { clampGradients, rescaleGradients } from "./clip.js";
import { describeValue, isPlainObject, type HyperparameterRange } from "./config.js";
import type { Optimizer, OptimizerState } from "./optimizer.js";
import { isSchedule, type Schedule, type ScheduleSpec } from "./schedule.js";
import { resolveSchedule } from "./schedule-registry.js";

/**
 * The hyperparameters of a rule: numbers and booleans only, so configs stay JSON.
 * @example
 * ```ts
 * const defaults = { lr: 0.01, momentum: 0.9, nesterov: false } satisfies Hyperparameters;
 * ```
 */
export type Hyperparameters = { readonly [key: string]: number | boolean };

/**
 * What an update rule sees of its hyperparameters: everything but `lr`, which arrives per step
 * in {@link UpdateArgs.lr} (already through any schedule).
 * @example
 * ```ts
 * // for defaults { lr: 0.01, momentum: 0.9 }: hp is { readonly momentum: number }
 * update({ value, grad, lr, hp }) { … hp.momentum … }
 * ```
 */
export type HyperparameterValues<C extends Hyperparameters> = {
  readonly [K in Exclude<keyof C, "lr">]: Widen<C[K]>;
};

/** `false` → `boolean`, `0.9` → `number`: defaults are examples of a type, not the only value. */
type Widen<T> = T extends boolean ? boolean : T extends number ? number : T;

/**
 * A per-parameter state array declared by a rule, with its options.
 * @example
 * ```ts
 * const sum: SlotOptions<{ lr: number; start: number }> = { name: "sum", init: (hp) => hp.start };
 * const buffer = { name: "momentumBuffer", when: (hp: { momentum: number }) => hp.momentum !== 0 };
 * ```
 */
export interface SlotOptions<C extends Hyperparameters, S extends string = string> {
  /** Slot name, stored in state dicts (e.g. `"expAvg"`). */
  readonly name: S;
  /** Initial value of every element. Default 0. */
  readonly init?: number | ((hp: HyperparameterValues<C>) => number);
  /** One number per parameter instead of one per element (e.g. Nadam's `muProduct`). Default false. */
  readonly scalar?: boolean;
  /**
   * Whether this config needs the slot (e.g. SGD's buffer only with momentum). A disabled slot is
   * a zero-length array in {@link UpdateArgs.slots} and is absent from state dicts. Default always.
   */
  readonly when?: (hp: HyperparameterValues<C>) => boolean;
}

/**
 * A slot: its name (zeros, one per element) or {@link SlotOptions}.
 * @example
 * ```ts
 * slots: ["expAvg", "expAvgSq", { name: "muProduct", scalar: true, init: 1 }]
 * ```
 */
export type SlotSpec<C extends Hyperparameters, S extends string = string> = S | SlotOptions<C, S>;

/**
 * What {@link OptimizerDefinition.update} receives for one parameter at one step. The object is
 * reused across steps (no allocation per step): read it, do not keep it.
 * @example
 * ```ts
 * update({ value, grad, slots, lr, t, hp }) {
 *   for (let i = 0; i < value.length; i++) value[i] = value[i]! - lr * grad[i]!;
 * }
 * ```
 */
export interface UpdateArgs<C extends Hyperparameters, S extends string = string> {
  /** The parameter's values; write the update here, in place (float32 or float64). */
  readonly value: FloatArray;
  /** Its gradient, already clipped; treat as read-only. */
  readonly grad: FloatArray;
  /** The parameter's slots, float64 whatever the parameter's dtype. */
  readonly slots: Readonly<Record<S, Float64Array>>;
  /** The learning rate for this step (after the schedule, if any). */
  readonly lr: number;
  /** 1-based count of updates applied to this parameter, this one included (for bias correction). */
  readonly t: number;
  /** The other hyperparameters, validated. */
  readonly hp: HyperparameterValues<C>;
}

/**
 * An update rule for {@link defineOptimizer}: its name, hyperparameter defaults, per-parameter
 * slots and the per-parameter update. The base does everything else.
 * @example
 * ```ts
 * const plain = defineOptimizer({
 *   name: "acme>plain",
 *   defaults: { lr: 0.1 },
 *   update({ value, grad, lr }) { for (let i = 0; i < value.length; i++) value[i] = value[i]! - lr * grad[i]!; },
 * });
 * ```
 */
export interface OptimizerDefinition<C extends Hyperparameters, S extends string = string> {
  /** Registry key; custom rules may namespace it, e.g. `"acme>lion"`. */
  readonly name: string;
  /** Every hyperparameter with its default; `lr` is required. Their keys are the config format. */
  readonly defaults: C & { readonly lr: number };
  /** Per-parameter state arrays, allocated on first sight of a parameter. Default none. */
  readonly slots?: readonly SlotSpec<C, S>[];
  /** Allowed interval of each numeric hyperparameter; a numeric `lr` is always ≥ 0 besides. */
  readonly ranges?: { readonly [K in keyof C]?: HyperparameterRange };
  /** Cross-key checks; throw `BackpropError("INVALID_CONFIG", …)` to reject a config. */
  readonly validate?: (hp: HyperparameterValues<C>) => void;
  /** Updates one parameter in place from its gradient and slots. */
  update(args: UpdateArgs<C, S>): void;
  /**
   * When `update` is, for these hyperparameters, exactly plain SGD `p ← p − lr·(g + weightDecay·p)`
   * (float64, rounded once when stored, no slots), the weight decay it uses; undefined otherwise.
   * Lets fused kernels apply the update themselves ({@link Optimizer.plainSgd}). Default: never.
   */
  readonly plainSgd?: (hp: HyperparameterValues<C>) => { readonly weightDecay: number } | undefined;
  /**
   * When `update` is, for these hyperparameters, exactly one of the rules a fused kernel runs
   * (plain SGD, momentum SGD, Adam: see `ParameterUpdate`), that rule with its arguments for the
   * update `args.t` of one parameter — scalars computed as `update` computes them, the slot arrays
   * themselves; undefined otherwise. Lets fused kernels apply the update
   * ({@link Optimizer.fusedUpdates}). Default: never.
   */
  readonly fusedUpdate?: (args: Omit<UpdateArgs<C, S>, "value" | "grad">) => ParameterUpdate | undefined;
}

/**
 * Options every optimizer accepts besides its rule's hyperparameters.
 * @example
 * ```ts
 * adam({ lr: cosineDecay({ initial: 1e-3, decaySteps: 10_000 }), clipNorm: 1 });
 * ```
 */
export interface CommonOptimizerOptions {
  /** Learning rate: a non-negative number or a schedule (object or stored `{ name, config }`). */
  readonly lr?: number | ScheduleSpec;
  /** Clamp each gradient element to `[−clipValue, clipValue]` before the update. Default off. */
  readonly clipValue?: number | null;
  /** Rescale gradients to a global L2 norm ≤ `clipNorm` before the update (after `clipValue`). Default off. */
  readonly clipNorm?: number | null;
}

/**
 * The options of an optimizer built by {@link defineOptimizer} from defaults `C`: each
 * hyperparameter but `lr` optional with its widened type, plus {@link CommonOptimizerOptions}.
 * @example
 * ```ts
 * type O = OptimizerOptions<{ lr: number; momentum: number }>; // { momentum?: number; lr?; clipValue?; clipNorm? }
 * ```
 */
export type OptimizerOptions<C extends Hyperparameters> = {
  readonly [K in Exclude<keyof C, "lr">]?: Widen<C[K]>;
} & CommonOptimizerOptions;

/**
 * Builds optimizers of one rule; what the optimizer registry holds. Built-ins (`sgd`, `adam`, …)
 * and the results of {@link defineOptimizer} are factories. `OptimizerFactory<never>` accepts a
 * factory of any rule.
 * @example
 * ```ts
 * sgd({ momentum: 0.9 });          // typed options
 * sgd.fromConfig({ lr: 0.1 });     // a stored JSON config
 * sgd.optimizerName;               // "sgd"
 * ```
 */
export interface OptimizerFactory<O extends CommonOptimizerOptions = CommonOptimizerOptions> {
  /** A new optimizer with fresh state; omitted options take the defaults. */
  (options?: O): Optimizer;
  /** The registry key of the optimizers it builds. */
  readonly optimizerName: string;
  /** The defaults of every hyperparameter. */
  readonly defaults: Readonly<JsonObject>;
  /** A new optimizer from a stored config (JSON), validated like options. */
  fromConfig(config?: Readonly<JsonObject>): Optimizer;
}

const RESERVED = ["clipValue", "clipNorm"];
/** `clipValue` and `clipNorm`: off when absent or null, else a positive number. */
const CLIP: ConfigField = { type: "number", optional: true, nullable: true, min: 0, minExclusive: true };
const EMPTY = new Float64Array(0);

interface ResolvedSlot {
  readonly name: string;
  readonly init: number;
  readonly scalar: boolean;
}

type MutableArgs<C extends Hyperparameters, S extends string> = {
  -readonly [K in keyof UpdateArgs<C, S>]: UpdateArgs<C, S>[K];
};

interface ParamState<C extends Hyperparameters, S extends string> {
  /** Elements of the parameter; undefined when restored from a state without per-element slots. */
  size: number | undefined;
  t: number;
  readonly slots: Record<string, Float64Array>;
  readonly args: MutableArgs<C, S>;
}

/**
 * Defines an update rule; returns its factory. The base owns the loop over params, skipping
 * frozen ones, the step counter, per-parameter slots (float64, allocated on first sight, keyed
 * by `Param.name`), gradient clipping, the learning-rate schedule, config validation and
 * `stateDict`/`loadStateDict`; the rule writes only the per-parameter update (tinygrad `_step`,
 * Keras `update_step`).
 *
 * Slots are float64 even for float32 params: the rule reads and writes `value` in the param's
 * own dtype, so state keeps full precision and the param keeps its storage. Options (and the
 * defaults) are validated each time an optimizer is built: unknown keys, wrong types and
 * values outside `ranges` throw `INVALID_CONFIG` naming the key and value. Nothing runs at
 * definition time beyond a structural check of the definition.
 *
 * @example
 * ```ts
 * const signSgd = defineOptimizer({
 *   name: "acme>signSgd",
 *   defaults: { lr: 0.01, momentum: 0.9 },
 *   ranges: { momentum: { min: 0, max: 1 } },
 *   slots: ["buf"],
 *   update({ value, grad, slots, lr, hp }) {
 *     const buf = slots.buf;
 *     for (let i = 0; i < value.length; i++) {
 *       buf[i] = hp.momentum * buf[i]! + (1 - hp.momentum) * grad[i]!;
 *       value[i] = value[i]! - lr * Math.sign(buf[i]!);
 *     }
 *   },
 * });
 * registerOptimizer(signSgd);
 * const opt = signSgd({ lr: 0.1 });
 * ```
 */
export function defineOptimizer<C extends Hyperparameters, const S extends string = never>(
  definition: OptimizerDefinition<C, S>,
): OptimizerFactory<OptimizerOptions<C>> {
  checkDefinition(definition);
  const def = definition;
  const where = def.name;
  const keys = Object.keys(def.defaults).filter((k) => k !== "lr");
  const ranges = (def.ranges ?? {}) as Readonly<Record<string, HyperparameterRange | undefined>>;
  const defaults = def.defaults as Readonly<Record<string, number | boolean>>;
  // NOTE: the defaults go through the checks too (a field's default is validated like a value),
  // so a definition with an out-of-range default fails when its first optimizer is built.
  const schema: Record<string, ConfigField> = {
    lr: { type: "custom", default: defaults.lr, read: (value) => resolveLearningRate(where, value, { min: 0, ...ranges.lr }) },
  };
  for (const key of keys) {
    const fallback = defaults[key];
    schema[key] = typeof fallback === "boolean" ? { type: "boolean", default: fallback } : { type: "number", default: fallback, ...ranges[key] };
  }
  for (const key of RESERVED) schema[key] = CLIP;

  const create = (options: unknown): Optimizer => {
    // NOTE: null is accepted as "no options", as it always was.
    const o = readConfig(where, options ?? undefined, schema);
    const hp: Record<string, number | boolean> = {};
    for (const key of keys) hp[key] = o[key] as number | boolean;
    const frozen = Object.freeze(hp) as unknown as HyperparameterValues<C>;
    def.validate?.(frozen);
    return new RuleOptimizer(def, frozen, o.lr as number | Schedule, o.clipValue as number | undefined, o.clipNorm as number | undefined);
  };

  const factory = (options?: OptimizerOptions<C>): Optimizer => create(options);
  return Object.assign(factory, {
    optimizerName: def.name,
    defaults: Object.freeze({ ...defaults }),
    fromConfig: (config?: Readonly<JsonObject>): Optimizer => create(config),
  });
}

function checkDefinition(def: unknown): void {
  const fail = (problem: string): never => {
    throw new BackpropError("INVALID_ARGUMENT", `defineOptimizer: ${problem}`, {
      hint: "expected defineOptimizer({ name, defaults: { lr, … }, slots?, ranges?, validate?, update })",
    });
  };
  if (!isPlainObject(def)) return fail(`definition must be an object (got ${describeValue(def)})`);
  if (typeof def.name !== "string" || def.name.length === 0) {
    return fail(`name must be a non-empty string (got ${describeValue(def.name)})`);
  }
  if (typeof def.update !== "function") return fail(`update must be a function (got ${describeValue(def.update)})`);
  const defaults = def.defaults;
  if (!isPlainObject(defaults)) return fail(`defaults must be an object (got ${describeValue(defaults)})`);
  if (typeof defaults.lr !== "number") return fail(`defaults.lr must be a number (got ${describeValue(defaults.lr)})`);
  for (const [key, value] of Object.entries(defaults)) {
    if (RESERVED.includes(key)) return fail(`defaults.${key} is reserved: every optimizer accepts it already`);
    if (typeof value !== "boolean" && !(typeof value === "number" && Number.isFinite(value))) {
      return fail(`defaults.${key} must be a finite number or a boolean (got ${describeValue(value)})`);
    }
  }
  const slots = def.slots ?? [];
  if (!Array.isArray(slots)) return fail(`slots must be an array (got ${describeValue(slots)})`);
  const names = new Set<string>();
  for (const slot of slots as unknown[]) {
    const name: unknown = typeof slot === "string" ? slot : isPlainObject(slot) ? slot.name : undefined;
    if (typeof name !== "string" || name.length === 0) {
      return fail(`each slot must be a name or { name, init?, scalar?, when? } (got ${describeValue(slot)})`);
    }
    if (names.has(name)) return fail(`slot "${name}" is declared twice`);
    names.add(name);
  }
}

function resolveLearningRate(where: string, lr: unknown, range: HyperparameterRange): number | Schedule {
  if (typeof lr === "number") return readField(where, "lr", lr, { type: "number", ...range });
  if (isSchedule(lr) || (isPlainObject(lr) && typeof lr.name === "string")) {
    const schedule = resolveSchedule(lr as ScheduleSpec);
    const first = schedule.at(0);
    if (!(Number.isFinite(first) && first >= 0)) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `${where}: lr schedule "${schedule.name}" gives an invalid rate at step 0 (got ${describeValue(first)}, expected a non-negative finite number)`,
      );
    }
    return schedule;
  }
  throw new BackpropError(
    "INVALID_CONFIG",
    `${where}: invalid lr (got ${describeValue(lr)}, expected a non-negative finite number or a schedule)`,
    { hint: 'e.g. lr: 0.001, or lr: cosineDecay({ initial: 0.01, decaySteps: 1000 })' },
  );
}

/** The optimizer every {@link defineOptimizer} factory builds. */
class RuleOptimizer<C extends Hyperparameters, S extends string> implements Optimizer {
  readonly name: string;
  readonly config: Readonly<JsonObject>;
  private readonly def: OptimizerDefinition<C, S>;
  private readonly hp: HyperparameterValues<C>;
  private readonly lr: number | Schedule;
  private readonly clipValue: number | undefined;
  private readonly clipNorm: number | undefined;
  private readonly slotSpecs: readonly ResolvedSlot[];
  private readonly disabledSlots: readonly string[];
  private readonly states = new Map<string, ParamState<C, S>>();
  private readonly seen = new Set<string>();
  private steps = 0;
  // Who holds copies of the slots (a fused kernel's memory) since it took the last updates.
  private holder: SlotHolder | undefined;
  // fusedUpdates' answer, one entry per param (reused).
  private readonly fused: (ParameterUpdate | undefined)[] = [];
  // The param list the last step validated, as it was then (each Param and its trainable flag), with
  // each trainable param's state. A training loop passes the same list every step, so the checks
  // and map lookups run once; any change to the list, a flag or the state map runs them again.
  private checkedList: readonly Param[] | undefined;
  private readonly checkedParams: Param[] = [];
  private readonly checkedTrainable: boolean[] = [];
  private readonly checkedStates: (ParamState<C, S> | undefined)[] = [];

  constructor(
    def: OptimizerDefinition<C, S>,
    hp: HyperparameterValues<C>,
    lr: number | Schedule,
    clipValue: number | undefined,
    clipNorm: number | undefined,
  ) {
    this.def = def;
    this.name = def.name;
    this.hp = hp;
    this.lr = lr;
    this.clipValue = clipValue;
    this.clipNorm = clipNorm;
    const enabled: ResolvedSlot[] = [];
    const disabled: string[] = [];
    for (const spec of def.slots ?? []) {
      const slot: SlotOptions<C, S> = typeof spec === "string" ? { name: spec } : spec;
      if (slot.when !== undefined && !slot.when(hp)) {
        disabled.push(slot.name);
        continue;
      }
      const init = typeof slot.init === "function" ? slot.init(hp) : (slot.init ?? 0);
      enabled.push({ name: slot.name, init, scalar: slot.scalar === true });
    }
    this.slotSpecs = enabled;
    this.disabledSlots = disabled;
    const config: Record<string, Json> = {
      lr: typeof lr === "number" ? lr : Object.freeze({ name: lr.name, config: lr.config }),
      ...(hp as Readonly<Record<string, number | boolean>>),
    };
    if (clipValue !== undefined) config.clipValue = clipValue;
    if (clipNorm !== undefined) config.clipNorm = clipNorm;
    this.config = Object.freeze(config);
  }

  get iterations(): number {
    return this.steps;
  }

  get learningRate(): number {
    return typeof this.lr === "number" ? this.lr : this.lr.at(this.steps);
  }

  step(params: readonly Param[]): void {
    this.releaseSlots();
    const lr = this.learningRate;
    if (!(Number.isFinite(lr) && lr >= 0)) {
      throw new BackpropError(
        "INVALID_STATE",
        `${this.name}.step: the lr schedule gives an invalid rate at step ${this.steps} (got ${describeValue(lr)}, expected a non-negative finite number)`,
      );
    }
    if (!this.sameAsChecked(params)) this.check(params);
    if (this.clipValue !== undefined) clampGradients(params, this.clipValue);
    if (this.clipNorm !== undefined) rescaleGradients(params, this.clipNorm);
    const states = this.checkedStates;
    for (let i = 0; i < params.length; i++) {
      const p = params[i] as Param;
      if (!p.trainable) continue;
      const value = p.value.data;
      let state = states[i];
      if (state === undefined) {
        state = this.states.get(p.name) ?? this.createState(p.name, value.length);
        states[i] = state;
      }
      state.size = value.length;
      state.t += 1;
      const args = state.args;
      args.value = value;
      args.grad = p.grad.data;
      args.lr = lr;
      args.t = state.t;
      this.def.update(args);
    }
    this.steps += 1;
  }

  plainSgd(): { readonly lr: number; readonly weightDecay: number } | undefined {
    // A schedule changes lr every step and clipping rewrites the gradients: neither is plain.
    if (typeof this.lr !== "number" || this.clipValue !== undefined || this.clipNorm !== undefined) return undefined;
    const form = this.def.plainSgd?.(this.hp);
    return form ? { lr: this.lr, weightDecay: form.weightDecay } : undefined;
  }

  fusedUpdates(params: readonly Param[], holder?: SlotHolder): readonly (ParameterUpdate | undefined)[] | undefined {
    const update = this.def.fusedUpdate;
    // Clipping rewrites the gradients first: not a kernel's update.
    if (!update || this.clipValue !== undefined || this.clipNorm !== undefined) return undefined;
    const lr = this.learningRate;
    // step() names a bad scheduled rate; let it.
    if (!(Number.isFinite(lr) && lr >= 0)) return undefined;
    if (!this.sameAsChecked(params)) this.check(params);
    const fused = this.fused;
    fused.length = params.length;
    const states = this.checkedStates;
    for (let i = 0; i < params.length; i++) {
      const p = params[i] as Param;
      if (!p.trainable) {
        fused[i] = undefined;
        continue;
      }
      let state = states[i];
      if (state === undefined) {
        state = this.states.get(p.name) ?? this.createState(p.name, p.value.data.length);
        states[i] = state;
      }
      state.size = p.value.data.length;
      const one = update({ slots: state.args.slots, lr, t: state.t + 1, hp: this.hp });
      if (one === undefined) return undefined;
      fused[i] = one;
    }
    if (holder !== this.holder) {
      this.releaseSlots();
      this.holder = holder;
    }
    return fused;
  }

  /** The slots' values back in their arrays from whoever held them. */
  private releaseSlots(): void {
    const holder = this.holder;
    this.holder = undefined;
    holder?.release();
  }

  recordSteps(params: readonly Param[], count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.recordSteps: count must be an integer ≥ 0 (got ${describeValue(count)})`);
    }
    if (count === 0) return;
    if (!this.sameAsChecked(params)) this.check(params);
    const states = this.checkedStates;
    for (let i = 0; i < params.length; i++) {
      const p = params[i] as Param;
      if (!p.trainable) continue;
      let state = states[i];
      if (state === undefined) {
        state = this.states.get(p.name) ?? this.createState(p.name, p.value.data.length);
        states[i] = state;
      }
      state.size = p.value.data.length;
      state.t += count;
    }
    this.steps += count;
  }

  /** Whether `params` is the list validated last, unchanged (same params, same trainable flags). */
  private sameAsChecked(params: readonly Param[]): boolean {
    if (params !== this.checkedList || params.length !== this.checkedParams.length) return false;
    for (let i = 0; i < params.length; i++) {
      const p = params[i] as Param;
      if (p !== this.checkedParams[i] || p.trainable !== this.checkedTrainable[i]) return false;
    }
    return true;
  }

  /** Validates a param list against the state; remembers it when valid. */
  private check(params: readonly Param[]): void {
    const where = `${this.name}.step`;
    this.checkedList = undefined;
    if (!Array.isArray(params)) {
      throw new BackpropError("INVALID_ARGUMENT", `${where}: params must be an array of Param (got ${describeValue(params)})`);
    }
    // Check everything before touching anything, so a bad list leaves params and state unchanged.
    this.seen.clear();
    for (const p of params) {
      if (!p.trainable) continue;
      if (this.seen.has(p.name)) {
        throw new BackpropError("INVALID_ARGUMENT", `${where}: two trainable params are named "${p.name}"`, {
          hint: "optimizer state is keyed by Param.name, so names must be unique",
        });
      }
      this.seen.add(p.name);
      const n = p.value.data.length;
      const size = this.states.get(p.name)?.size;
      if (size !== undefined && size !== n) {
        throw new BackpropError(
          "SHAPE_MISMATCH",
          `${where}: param "${p.name}" has ${n} elements but its optimizer state has ${size} (got ${n}, expected ${size})`,
          { hint: "the state belongs to a different model, or the model changed shape since it was saved" },
        );
      }
      if (p.grad.data.length !== n) {
        throw new BackpropError(
          "SHAPE_MISMATCH",
          `${where}: param "${p.name}" has ${n} elements but its gradient has ${p.grad.data.length}`,
        );
      }
    }
    this.checkedList = params;
    this.checkedParams.length = 0;
    this.checkedTrainable.length = 0;
    this.checkedStates.length = 0;
    for (const p of params) {
      this.checkedParams.push(p);
      this.checkedTrainable.push(p.trainable);
      this.checkedStates.push(undefined);
    }
  }

  stateDict(): OptimizerState {
    this.releaseSlots();
    const slots: Record<string, Record<string, number[]>> = {};
    const paramSteps: Record<string, number> = {};
    for (const [name, state] of this.states) {
      const saved: Record<string, number[]> = {};
      for (const spec of this.slotSpecs) saved[spec.name] = Array.from(state.slots[spec.name] ?? EMPTY);
      slots[name] = saved;
      paramSteps[name] = state.t;
    }
    return { name: this.name, config: this.config, step: this.steps, slots, extra: { paramSteps } };
  }

  loadStateDict(state: OptimizerState): void {
    // The slots a holder has go back to the arrays being replaced, not into the loaded ones.
    this.releaseSlots();
    const where = `${this.name}.loadStateDict`;
    const fail = (problem: string, hint?: string): never => {
      throw new BackpropError("INVALID_STATE", `${where}: ${problem}`, hint === undefined ? {} : { hint });
    };
    if (!isPlainObject(state)) return fail(`state must be an object (got ${describeValue(state)})`);
    if (state.name !== this.name) {
      return fail(
        `state is for another optimizer (got ${describeValue(state.name)}, expected "${this.name}")`,
        "build the matching optimizer from the state itself: optimizerFromState(state)",
      );
    }
    if (!Number.isSafeInteger(state.step) || state.step < 0) {
      return fail(`invalid step (got ${describeValue(state.step)}, expected a non-negative integer)`);
    }
    if (!isPlainObject(state.slots)) return fail(`slots must be an object (got ${describeValue(state.slots)})`);
    const extra: unknown = state.extra;
    if (extra !== undefined && !isPlainObject(extra)) return fail(`extra must be an object (got ${describeValue(extra)})`);
    const paramSteps: unknown = extra?.paramSteps;
    if (paramSteps !== undefined && !isPlainObject(paramSteps)) {
      return fail(`extra.paramSteps must be an object (got ${describeValue(paramSteps)})`);
    }
    const expected = this.slotSpecs.map((s) => s.name);
    const slotHint = "a rule's slots depend on its config (e.g. amsgrad adds maxExpAvgSq): build the optimizer with the saved config";
    const restored = new Map<string, ParamState<C, S>>();
    for (const [name, saved] of Object.entries(state.slots)) {
      if (!isPlainObject(saved)) return fail(`slots of param "${name}" must be an object (got ${describeValue(saved)})`);
      for (const key of Object.keys(saved)) {
        if (!expected.includes(key)) {
          return fail(
            `unexpected slot "${key}" for param "${name}" (got ${describeValue(Object.keys(saved))}, expected ${describeValue(expected)})`,
            slotHint,
          );
        }
      }
      let size: number | undefined;
      const arrays: Record<string, Float64Array> = {};
      for (const spec of this.slotSpecs) {
        const values = saved[spec.name];
        if (!Array.isArray(values)) {
          return fail(`missing slot "${spec.name}" for param "${name}" (got ${describeValue(values)}, expected an array of numbers)`, slotHint);
        }
        const want = spec.scalar ? 1 : (size ?? values.length);
        if (values.length !== want) {
          return fail(`slot "${spec.name}" of param "${name}" has ${values.length} values (got ${values.length}, expected ${want})`);
        }
        if (!spec.scalar) size = values.length;
        const array = new Float64Array(values.length);
        for (let i = 0; i < values.length; i++) {
          const v: unknown = values[i];
          if (typeof v !== "number") {
            return fail(`slot "${spec.name}" of param "${name}" holds a non-number at ${i} (got ${describeValue(v)})`);
          }
          array[i] = v;
        }
        arrays[spec.name] = array;
      }
      const t: unknown = paramSteps === undefined ? state.step : paramSteps[name];
      if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 0) {
        return fail(`invalid step count of param "${name}" (got ${describeValue(t)}, expected a non-negative integer)`);
      }
      restored.set(name, this.makeState(size, t, arrays));
    }
    this.states.clear();
    for (const [name, s] of restored) this.states.set(name, s);
    this.checkedList = undefined;
    this.steps = state.step;
  }

  private createState(name: string, size: number): ParamState<C, S> {
    const arrays: Record<string, Float64Array> = {};
    for (const spec of this.slotSpecs) {
      const array = new Float64Array(spec.scalar ? 1 : size);
      if (spec.init !== 0) array.fill(spec.init);
      arrays[spec.name] = array;
    }
    const state = this.makeState(size, 0, arrays);
    this.states.set(name, state);
    return state;
  }

  private makeState(size: number | undefined, t: number, arrays: Record<string, Float64Array>): ParamState<C, S> {
    for (const name of this.disabledSlots) arrays[name] = EMPTY;
    const slots = arrays as Record<S, Float64Array>;
    return { size, t, slots, args: { value: EMPTY, grad: EMPTY, slots, lr: 0, t, hp: this.hp } };
  }
}
