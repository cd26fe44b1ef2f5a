// XOR, the classic network that a single neuron cannot learn: a hidden layer of 8 ReLUs and a sigmoid output,
// trained with plain gradient descent on the mean squared error (the graph of TensorFlow.NET's xor example,
// also in xor.meta). The layers have no biases, so the input (0, 0) always gives sigmoid(0) = 0.5: the best
// reachable loss is (0.5²)/4 = 0.0625, and training succeeds when the loss falls below 0.0628.
// Writes graphs/xor.pbtxt (the training graph) and graphs/xor_frozen.pbtxt (the trained network, its weights
// frozen into constants): `dataflow run graphs/xor_frozen.pbtxt --feed 'features=[[1,0],[1,1],[0,0],[0,1]]' --fetch output`.
// Run: dotnet run examples/NeuralNetXor.cs
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;

tf.set_random_seed(2);
float[,] inputs = { { 1, 0 }, { 1, 1 }, { 0, 0 }, { 0, 1 } };
int[] labels = { 1, 0, 0, 1 };

var features = tf.placeholder(tf.float32, shape: (4, 2), name: "features");
var targets = tf.placeholder(tf.int32, shape: new[] { 4 }, name: "labels");
var hidden = tf.nn.relu(tf.matmul(features, tf.Variable(tf.truncated_normal((2, 8)), name: "hidden_weights")));
var output = tf.sigmoid(tf.squeeze(tf.matmul(hidden, tf.Variable(tf.truncated_normal((8, 1)), name: "output_weights"))), name: "output");
var loss = tf.reduce_mean(tf.square(output - tf.cast(targets, tf.float32)), name: "loss");
var global_step = tf.train.get_or_create_global_step();
var train_op = tf.train.GradientDescentOptimizer(0.1f).minimize(loss, global_step: global_step);

using var sess = tf.Session();
sess.run(tf.global_variables_initializer());
float l = float.NaN;
for (int step = 1; step <= 10000; step++)
{
    var (lossValue, _) = sess.run((loss, train_op), (features, inputs), (targets, labels));
    l = (float)lossValue!;
    if (step % 1000 == 0) Console.WriteLine($"step {step,5}: loss {l:F5}");
    if (l < 0.0628f) break;
}
Console.WriteLine($"global_step: {sess.run(global_step)}");
Console.WriteLine($"final loss {l} (target below 0.0628)");
var predictions = sess.run(output, (features, inputs)).ToArray<float>();
for (int i = 0; i < 4; i++)
    Console.WriteLine($"{inputs[i, 0]} xor {inputs[i, 1]} = {labels[i]}: predicted {predictions[i]:F3}");

// The graphs, in the repository's graphs/ folder (beside examples/, wherever this is run from).
var graphs = Path.GetFullPath(Path.Combine((string)AppContext.GetData("EntryPointFileDirectoryPath")!, "..", "graphs"));
tf.train.write_graph(sess.graph, graphs, "xor.pbtxt", as_text: true);
var frozen = tf.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(), ["output"]);
Console.WriteLine($"wrote {tf.train.write_graph(frozen, graphs, "xor_frozen.pbtxt", as_text: true)}");
