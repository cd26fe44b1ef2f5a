// Tutorial section "Weights and Bias in TensorFlow": tf.Variable, initialization, truncated_normal, zeros.
// Run: dotnet run examples/Variables.cs
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;
using NumSharp;

var counter = tf.Variable(5, name: "counter");
var increment = counter.assign_add(1);
var init = tf.global_variables_initializer();
using (var sess = tf.Session())
{
    sess.run(init);
    Console.WriteLine($"counter after init: {sess.run(counter)}");
    sess.run(increment);
    sess.run(increment);
    Console.WriteLine($"counter after two increments: {sess.run(counter)}");
}
using (var other = tf.Session())
{
    // Each session keeps its own variable values.
    other.run(init);
    Console.WriteLine($"a new session starts again at: {other.run(counter)}");
    try { using var fresh = tf.Session(); fresh.run(counter); }
    catch (FailedPreconditionException e) { Console.WriteLine($"before init: {e.Message.Split('\n')[0]}"); }
}

// Random weights and zero biases, as the tutorial recommends.
tf.set_random_seed(7);
int n_features = 120, n_labels = 5;
var weights = tf.Variable(tf.truncated_normal((n_features, n_labels)), name: "weights");
var bias = tf.Variable(tf.zeros(n_labels), name: "bias");
using (var sess = tf.Session())
{
    sess.run(tf.global_variables_initializer());
    NDArray w = sess.run(weights);
    using (w)
    {
        var values = w.ToArray<float>();
        Console.WriteLine($"weights {weights.shape}: min {values.Min():F3}, max {values.Max():F3}, mean {values.Average():F3}");
    }
    Console.WriteLine($"bias: {sess.run(bias)}");
}
