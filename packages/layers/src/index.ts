export { Dense, type DenseConfig, type DenseWeights } from "./dense.js";
export { Conv2D, type Conv2DConfig, type Conv2DSize } from "./conv2d.js";
export { ZeroPadding2D, type ZeroPadding2DConfig, type ZeroPadding2DPadding } from "./zero-padding2d.js";
export { ActivationLayer, type ActivationLayerConfig } from "./activation-layer.js";
export { Dropout, type DropoutConfig } from "./dropout.js";
export { Normalization, type NormalizationConfig } from "./normalization.js";
export { BatchNormalization, type BatchNormalizationConfig } from "./batch-normalization.js";
export { LayerNormalization, type LayerNormalizationConfig } from "./layer-normalization.js";
export { MaxPooling2D, type MaxPooling2DConfig } from "./pooling/max-pooling2d.js";
export { AveragePooling2D, type AveragePooling2DConfig } from "./pooling/average-pooling2d.js";
export { GlobalAveragePooling2D, GlobalMaxPooling2D, type GlobalPooling2DConfig } from "./pooling/global-pooling2d.js";
export type { PoolPadding, PoolSize, Pooling2DConfig } from "./pooling/pool2d.js";
export { Flatten, type FlattenConfig } from "./flatten.js";
export { Embedding, type EmbeddingConfig } from "./embedding.js";
export { Masking, type MaskingConfig } from "./masking.js";
export { TimeDistributed, type TimeDistributedConfig, type StoredLayer } from "./time-distributed.js";
export {
  RNN,
  type RNNConfig,
  type RecurrentLayerOptions,
  type RecurrentCallOptions,
  type RecurrentOutput,
  type RecurrentGradients,
} from "./recurrent/rnn.js";
export { LSTM, GRU, SimpleRNN, type LSTMConfig, type GRUConfig, type SimpleRNNConfig } from "./recurrent/recurrent-layers.js";
export { Bidirectional, type BidirectionalConfig, type MergeMode } from "./recurrent/bidirectional.js";
export { LSTMCell, type LSTMCellConfig } from "./recurrent/lstm-cell.js";
export { GRUCell, type GRUCellConfig } from "./recurrent/gru-cell.js";
export { SimpleRNNCell, type SimpleRNNCellConfig } from "./recurrent/simple-rnn-cell.js";
export { SequenceWorkspace, type RecurrentCell, type CellConfig } from "./recurrent/cell.js";
export { Reshape, type ReshapeConfig } from "./reshape.js";
export {
  gradientCheck,
  type GradientCheckOptions,
  type GradientCheckReport,
  type GradientCheckEntry,
} from "./gradient-check.js";
export type {
  Layer,
  ForwardContext,
  TimeMask,
  BackwardContext,
  BuildContext,
  LayerInspection,
  ParamShape,
} from "./layer.js";
export type { RegularizerConfig } from "./regularizer.js";
export type { NamedConfig } from "./named-config.js";
export {
  Sequential,
  type SequentialOptions,
  type CompileOptions,
  type TrainingState,
  type BatchOptions,
  type WeightValue,
} from "./model/sequential.js";
export type { FitOptions, FitAsyncOptions, History } from "./model/training-loop.js";
export type { Predictor, PredictorOptions } from "./model/predictor.js";
export type { EpochRunner, StepStrategy, StepPasses, StepModel } from "./model/train-step.js";
export { fusedSmallNetStep } from "./model/small-net-step.js";
export { denseStackStep } from "./model/dense-stack-step.js";
export { denseEpochsStep } from "./model/dense-epochs-step.js";
export {
  earlyStopping,
  type Callback,
  type CallbackModel,
  type Logs,
  type EarlyStoppingConfig,
  type EarlyStoppingCallback,
} from "./model/callbacks.js";
export type { StepTrace, LayerTrace, ParamTrace } from "./model/trace.js";
export { registerLayer, layerFromConfig, listLayers, type LayerFactory } from "./layer-registry.js";
export {
  referenceExample,
  referenceModel,
  type ReferenceValues,
  type ReferenceExample,
  type ReferenceSetup,
  type ReferenceModelOptions,
} from "./reference/reference-example.js";
export {
  meanSquaredError,
  halfSumSquaredError,
  meanAbsoluteError,
  huber,
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  getLoss,
  resolveLoss,
  registerLoss,
  unregisterLoss,
  lossNames,
  type Loss,
  type FusedGradient,
  type LossFactory,
  type LossSpec,
  type HuberOptions,
  type BinaryCrossentropyOptions,
  type CrossentropyOptions,
  type CrossentropyConfig,
  type EmptyOptions,
} from "./losses/index.js";
export {
  zeros,
  ones,
  constant,
  randomUniform,
  randomNormal,
  truncatedNormal,
  varianceScaling,
  glorotUniform,
  glorotNormal,
  heUniform,
  heNormal,
  lecunUniform,
  lecunNormal,
  orthogonal,
  getInitializer,
  resolveInitializer,
  registerInitializer,
  unregisterInitializer,
  initializerNames,
  type Initializer,
  type InitializerFactory,
  type InitializerSpec,
  type ConstantOptions,
  type RandomUniformOptions,
  type NormalOptions,
  type VarianceScalingOptions,
  type OrthogonalOptions,
  type FanMode,
  type VarianceScalingDistribution,
} from "./initializers/index.js";
export {
  accuracy,
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  meanSquaredErrorMetric,
  meanAbsoluteErrorMetric,
  getMetric,
  resolveMetric,
  registerMetric,
  unregisterMetric,
  metricNames,
  type Metric,
  type MetricFactory,
  type MetricSpec,
  type BinaryAccuracyOptions,
} from "./metrics/index.js";
