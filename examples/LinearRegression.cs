// Linear regression by gradient descent (the classic TensorFlow 1 example): fit y = W·x + b, then compare with
// the least-squares solution computed directly.
// Writes graphs/linear_regression.pbtxt (the training graph) and graphs/linear_regression_frozen.pbtxt (W and b
// frozen): `dataflow run graphs/linear_regression_frozen.pbtxt --feed 'X=[1,5,10]' --fetch pred`.
// Run: dotnet run examples/LinearRegression.cs
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;

float[] train_X = { 3.3f, 4.4f, 5.5f, 6.71f, 6.93f, 4.168f, 9.779f, 6.182f, 7.59f, 2.167f, 7.042f, 10.791f, 5.313f, 7.997f, 5.654f, 9.27f, 3.1f };
float[] train_Y = { 1.7f, 2.76f, 2.09f, 3.19f, 1.694f, 1.573f, 3.366f, 2.596f, 2.53f, 1.221f, 2.827f, 3.465f, 1.65f, 2.904f, 2.42f, 2.94f, 1.3f };
int n = train_X.Length;

tf.set_random_seed(1);
var X = tf.placeholder(tf.float32, name: "X");
var Y = tf.placeholder(tf.float32, name: "Y");
var W = tf.Variable(tf.random_normal(new int[0]), name: "weight");
var b = tf.Variable(tf.random_normal(new int[0]), name: "bias");
var pred = tf.add(X * W, b, name: "pred");
var cost = tf.reduce_sum(tf.pow(pred - Y, 2)) / (2 * n);
var optimizer = tf.train.GradientDescentOptimizer(0.01f).minimize(cost);

using var sess = tf.Session();
sess.run(tf.global_variables_initializer());
for (int epoch = 1; epoch <= 2000; epoch++)
{
    // Stochastic gradient descent: one example at a time.
    for (int i = 0; i < n; i++) sess.run(optimizer, (X, train_X[i]), (Y, train_Y[i]));
    if (epoch % 500 == 0)
        Console.WriteLine($"epoch {epoch,4}: cost {(float)sess.run(cost, (X, train_X), (Y, train_Y)):F6}  W = {(float)sess.run(W):F4}  b = {(float)sess.run(b):F4}");
}

// Least squares: W = cov(x, y) / var(x), b = mean(y) - W·mean(x).
double mx = train_X.Average(), my = train_Y.Average();
double w = train_X.Zip(train_Y).Sum(p => (p.First - mx) * (p.Second - my)) / train_X.Sum(v => (v - mx) * (v - mx));
double bias = my - w * mx;
Console.WriteLine($"least squares: W = {w:F4}  b = {bias:F4}");
Console.WriteLine($"trained:       W = {(float)sess.run(W):F4}  b = {(float)sess.run(b):F4}");

var graphs = Path.GetFullPath(Path.Combine((string)AppContext.GetData("EntryPointFileDirectoryPath")!, "..", "graphs"));
tf.train.write_graph(sess.graph, graphs, "linear_regression.pbtxt", as_text: true);
var frozen = tf.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(), ["pred"]);
Console.WriteLine($"wrote {tf.train.write_graph(frozen, graphs, "linear_regression_frozen.pbtxt", as_text: true)}");
