using System.Globalization;

namespace DataflowNet.Tests.Checkpoints;

/// <summary>The models the checkpoint tests build, in the test process and in child processes alike.</summary>
internal static class CheckpointModels
{
    public static readonly float[,] Inputs = { { 0.5f, -1.0f, 2.0f }, { 1.5f, 0.25f, -0.75f }, { -2.0f, 1.0f, 0.125f }, { 0.0f, 3.0f, 1.0f } };
    public static readonly float[,] Targets = { { 1.0f }, { -0.5f }, { 0.25f }, { 2.0f } };

    /// <summary>A small two-layer regression trained by Adam: weights, biases, Adam's slots and powers, an int64 global step.</summary>
    public static (Tensor X, Tensor Target, Tensor Y, Operation Train) Regression()
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 3), name: "x");
        var target = tf.placeholder(tf.float32, shape: (-1, 1), name: "target");
        var w1 = tf.Variable(tf.truncated_normal((3, 4), seed: 1), name: "W1");
        var b1 = tf.Variable(tf.zeros(4), name: "b1");
        var w2 = tf.Variable(tf.truncated_normal((4, 1), seed: 2), name: "W2");
        var y = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2, name: "y");
        var loss = tf.reduce_mean(tf.square(y - target));
        var train = tf.train.AdamOptimizer(0.05f).minimize(loss, global_step: tf.train.get_or_create_global_step());
        return (x, target, y, train);
    }

    /// <summary>The output's float32 bits, for bit-for-bit comparison across sessions and processes.</summary>
    public static string Bits(TensorValue v) =>
        string.Join(" ", v.ToArray<float>().Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8")));

    /// <summary>A 1 MB float variable and an int64 step, both set to one number per save.</summary>
    public static (Variable Big, Variable Step, Tensor Value, Operation SetAll) Counter()
    {
        var big = tf.Variable(tf.zeros((256, 1024)), name: "big");
        var step = tf.Variable(0L, name: "step");
        var value = tf.placeholder(tf.int64, shape: TensorShape.Scalar, name: "value");
        var setAll = tf.group(big.assign(tf.fill((256, 1024), tf.cast(value, tf.float32))), step.assign(value));
        return (big, step, value, setAll);
    }
}

/// <summary>What the child process does, chosen by its first argument.</summary>
internal static class CheckpointChild
{
    public static int Run(string[] args)
    {
        switch (args[0])
        {
            case "save-loop":
            {
                // Saves checkpoints back to back, each holding its number everywhere, until killed.
                var dir = args[1];
                var first = long.Parse(args[2], CultureInfo.InvariantCulture);
                var (_, _, value, setAll) = CheckpointModels.Counter();
                var saver = tf.train.Saver(max_to_keep: 3);
                using var sess = tf.Session();
                sess.run(tf.global_variables_initializer());
                for (long i = first; ; i++)
                {
                    sess.run(setAll, (value, i));
                    saver.save(sess, Path.Combine(dir, "model"), global_step: i);
                    Console.WriteLine($"saved {i}");
                    Console.Out.Flush();
                }
            }
            case "restore-eval":
            {
                // Restores the regression model from a checkpoint and prints its output's bits, then after one more step.
                var (x, target, y, train) = CheckpointModels.Regression();
                var saver = tf.train.Saver();
                using var sess = tf.Session();
                saver.restore(sess, args[1]);
                Console.WriteLine("output " + CheckpointModels.Bits(sess.run(y, (x, CheckpointModels.Inputs))));
                sess.run(train, (x, CheckpointModels.Inputs), (target, CheckpointModels.Targets));
                Console.WriteLine("next " + CheckpointModels.Bits(sess.run(y, (x, CheckpointModels.Inputs))));
                return 0;
            }
            default:
                Console.Error.WriteLine($"unknown mode {args[0]}");
                return 2;
        }
    }
}
