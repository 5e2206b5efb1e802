/**
 * Lesson presets: links that set the playground up for one idea, with what to look at. Each
 * `hash` is an ordinary playground link (see `encodeState`), so a lesson is also something a
 * teacher can tweak and share.
 */
export interface Lesson {
  /** Stable id, used in the page's element ids. */
  readonly id: string;
  readonly title: string;
  /** What to do and what to watch, in two or three sentences. */
  readonly text: string;
  /** The playground link (URL hash without `#`). */
  readonly hash: string;
}

/** The lessons offered on the page, in teaching order. */
export const LESSONS: readonly Lesson[] = [
  {
    id: "depth",
    title: "Why depth helps",
    text:
      "The spiral from x₁ and x₂ alone, through one hidden layer of 8: press play and watch it fail to wind. " +
      "Then add hidden layers (the + next to “Hidden layers”) and train again: each layer bends the plane a little more.",
    hash: "problem=classification&dataset=spiral&noise=0&train=50&batch=10&features=x1,x2&hidden=8&activation=tanh&optimizer=adam&lr=0.01",
  },
  {
    id: "vanishing",
    title: "Vanishing gradients with sigmoid",
    text:
      "Six sigmoid layers trained by plain SGD. Open the gradient-flow chart: the first layers' gradients are orders of magnitude " +
      "below the last layer's, so they barely learn. Switch the activation to ReLU or tanh and compare the lines.",
    hash: "problem=classification&dataset=circle&noise=0&train=50&batch=10&features=x1,x2&hidden=8,8,8,8,8,8&activation=sigmoid&optimizer=sgd&lr=0.1",
  },
  {
    id: "adam-vs-sgd",
    title: "Adam vs SGD",
    text:
      "The same network from the same initial weights, trained side by side by Adam (solid) and by SGD (dashed) on the spiral. " +
      "Watch the two loss curves and the two decision maps; then try other pairs in “Compare with”.",
    hash: "problem=classification&dataset=spiral&noise=0&train=50&batch=10&features=x1,x2,sinx1,sinx2&hidden=8,8&activation=tanh&optimizer=adam&lr=0.01&compare=sgd",
  },
  {
    id: "overfitting",
    title: "Overfitting and L2",
    text:
      "Few noisy training points and a big network: the training loss keeps falling while the test loss turns up. " +
      "Set Regularization to L2 (rate 0.003) and watch the boundary smooth and the test loss recover.",
    hash: "problem=classification&dataset=xor&noise=50&train=10&batch=5&features=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2&hidden=8,8,8&activation=relu&optimizer=adam&lr=0.01&logLoss=true",
  },
  {
    id: "symmetry",
    title: "Why weights start random",
    text:
      "Every weight starts at zero: all neurons of a layer compute the same thing and receive the same gradient, so they stay identical " +
      "(hover them). Set the initializer back to Glorot uniform and the neurons differ from the first epoch.",
    hash: "problem=classification&dataset=circle&noise=0&train=50&batch=10&features=x1,x2&hidden=4,4&activation=tanh&optimizer=sgd&lr=0.1&init=zeros",
  },
  {
    id: "multiclass",
    title: "More than two classes",
    text:
      "Five spiral arms, one softmax output per class. The output view colours each cell by its most likely class; " +
      "the confusion matrix shows which arms the network still mixes up.",
    hash: "problem=classification&dataset=spiral5&noise=0&train=50&batch=10&features=x1,x2,sinx1,sinx2&hidden=8,8,8&activation=tanh&optimizer=adam&lr=0.01",
  },
];
