// The founding tutorial's gradient-descent step (its numpy code), rebuilt as a graph: the weight change comes
// from tf.gradients of the error E = ½(y - ŷ)² instead of a hand-written sigmoid_prime.
// Run: dotnet run examples/SeedGradientStep.cs
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;
using NumSharp;
using static DataflowNet.tf;

var learnrate = 0.5;
// The tutorial's numpy arrays are float64; so are these tensors.
var x = constant(new[] { 1.0, 2.0, 3.0, 4.0 }, float64);
var y = constant(0.5, float64);
var w = Variable(constant(new[] { 0.5, -0.5, 0.3, 0.1 }, float64), name: "w");

// h = np.dot(x, w); nn_output = sigmoid(h); error = y - nn_output
var h = reduce_sum(x * w);
var nn_output = sigmoid(h);
var error = y - nn_output;
// The error function the tutorial minimizes, and its gradient by automatic differentiation.
var E = 0.5 * square(error);
var dE_dw = gradients(E, w)[0]!;
var del_w = -learnrate * dE_dw;

using var sess = Session();
sess.run(global_variables_initializer());
var (output, err, change) = sess.run((nn_output, error, del_w));
print("Neural Network output:");
print(((double)output!).ToString("G7"));
print("Amount of Error:");
print(((double)err!).ToString("G7"));
print("Change in Weights:");
print(change);

// The tutorial's own numpy computation, for comparison: error * sigmoid_prime(h) * x.
using var xs = np.array(new[] { 1.0, 2.0, 3.0, 4.0 });
using var ws = np.array(new[] { 0.5, -0.5, 0.3, 0.1 });
double hs = (double)np.dot(xs, ws);
double outs = 1 / (1 + Math.Exp(-hs));
double errorTerm = (0.5 - outs) * outs * (1 - outs);
var byHand = (double[])change!;
var numpy = new[] { 1.0, 2.0, 3.0, 4.0 }.Select(xi => learnrate * errorTerm * xi).ToArray();
print($"Same as the tutorial's numpy step: {byHand.Zip(numpy).All(p => Math.Abs(p.First - p.Second) < 1e-15)}");
