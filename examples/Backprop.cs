// The tutorial's "general algorithm for updating weights" with backpropagation, for a network of three inputs,
// two sigmoid hidden units and one sigmoid output: once by hand with NumSharp, as the tutorial writes it, and once
// with tf.gradients. The weight steps agree.
// Run: dotnet run examples/Backprop.cs
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;
using NumSharp;

double[,] features = { { 0.5, -0.2, 0.1 }, { 0.1, 0.4, -0.3 }, { -0.4, 0.2, 0.6 }, { 0.3, 0.3, 0.3 } };
double[] targets = { 0.6, 0.2, 0.9, 0.4 };
double[,] w_ih = { { 0.1, -0.2 }, { 0.4, 0.5 }, { -0.3, 0.2 } };   // inputs → hidden, w_ij
double[] w_ho = { 0.3, -0.1 };                                      // hidden → output, w_j
const double learnrate = 0.5;
int m = targets.Length;

// ---- By hand (NumSharp), following the tutorial step by step ----
static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
var del_ih = new double[3, 2];   // Δw_ij = 0
var del_ho = new double[2];      // Δw_j = 0
for (int r = 0; r < m; r++)
{
    using var x = np.array(Enumerable.Range(0, 3).Select(i => features[r, i]).ToArray());
    using var wIh = np.array(w_ih);
    using var hiddenIn = np.dot(x, wIh);
    var hidden = hiddenIn.ToArray<double>().Select(Sigmoid).ToArray();     // forward pass
    double output = Sigmoid(hidden.Zip(w_ho).Sum(p => p.First * p.Second));
    double outputError = (targets[r] - output) * output * (1 - output);    // error gradient of the output unit
    for (int j = 0; j < 2; j++)
    {
        double hiddenError = w_ho[j] * outputError * hidden[j] * (1 - hidden[j]);  // propagated to hidden unit j
        del_ho[j] += outputError * hidden[j];
        for (int i = 0; i < 3; i++) del_ih[i, j] += hiddenError * features[r, i];
    }
}
var stepHo = del_ho.Select(d => learnrate * d / m).ToArray();
var stepIh = new double[3, 2];
for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++) stepIh[i, j] = learnrate * del_ih[i, j] / m;

// ---- With the graph: E = ½ Σ (y - ŷ)², the step is -η/m · dE/dw ----
var X = tf.constant(features, tf.float64);
var Y = tf.constant(targets, tf.float64);
var W_ih = tf.Variable(tf.constant(w_ih, tf.float64), name: "weights_input_hidden");
var W_ho = tf.Variable(tf.constant(w_ho, tf.float64), name: "weights_hidden_output");
var hiddenLayer = tf.sigmoid(tf.matmul(X, W_ih));
var prediction = tf.sigmoid(tf.reduce_sum(hiddenLayer * W_ho, axis: 1));
var E = 0.5 * tf.reduce_sum(tf.square(Y - prediction));
var grads = tf.gradients(E, new Tensor[] { W_ih, W_ho });
using var sess = tf.Session();
sess.run(tf.global_variables_initializer());
var (gIh, gHo) = sess.run((grads[0]!, grads[1]!));
var graphIh = gIh!.ToArray<double>().Select(g => -learnrate * g / m).ToArray();
var graphHo = gHo!.ToArray<double>().Select(g => -learnrate * g / m).ToArray();

Console.WriteLine("Hidden → output weight steps:");
Console.WriteLine($"  by hand:        [{string.Join(", ", stepHo.Select(v => v.ToString("F10")))}]");
Console.WriteLine($"  tf.gradients:   [{string.Join(", ", graphHo.Select(v => v.ToString("F10")))}]");
Console.WriteLine("Input → hidden weight steps:");
Console.WriteLine($"  by hand:        [{string.Join(", ", stepIh.Cast<double>().Select(v => v.ToString("F10")))}]");
Console.WriteLine($"  tf.gradients:   [{string.Join(", ", graphIh.Select(v => v.ToString("F10")))}]");
var agree = stepHo.Zip(graphHo).Concat(stepIh.Cast<double>().Zip(graphIh)).All(p => Math.Abs(p.First - p.Second) < 1e-12);
Console.WriteLine($"The weight steps agree: {agree}");
