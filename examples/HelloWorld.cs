// The founding tutorial's TensorFlow snippets, each run and printed with its result.
// Run: dotnet run examples/HelloWorld.cs
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;
using NumSharp;

// hello = tf.constant('Hello World!')
var hello = tf.constant("Hello World!");
using (var sess = tf.Session())
{
    var output = sess.run(hello);
    Console.WriteLine($"hello: {output}");
}

var A = tf.constant(500);
var B = tf.constant(new[] { 345, 999, 888, 7777 });
var C = tf.constant(new[,] { { 1, 2, 3 }, { 444, 555, 666 }, { 77, 88, 99 } });
using (var sess = tf.Session())
{
    Console.WriteLine($"A: {A} = {sess.run(A)}");
    Console.WriteLine($"B: {B} = {sess.run(B)}");
    Console.WriteLine($"C: {C} =\n{sess.run(C)}");
}

// x = tf.placeholder(tf.string); sess.run(x, feed_dict={x: 'Hello World'})
var x = tf.placeholder(tf.@string);
using (var sess = tf.Session())
{
    var output = sess.run(x, feed_dict: new FeedDict { [x] = "Hello World" });
    Console.WriteLine($"feed_dict: {output}");
}

// tf.subtract(tf.cast(tf.constant(2.0), tf.int32), tf.constant(1))  # 1
var one = tf.subtract(tf.cast(tf.constant(2.0), tf.int32), tf.constant(1));
using (var sess = tf.Session())
    Console.WriteLine($"math: {sess.run(one)}");

// x = tf.Variable(5); init = tf.global_variables_initializer()
var v = tf.Variable(5);
var init = tf.global_variables_initializer();
using (var sess = tf.Session())
{
    sess.run(init);
    Console.WriteLine($"variable: {sess.run(v)}");
}

// n_features = 120; n_labels = 5; weights = tf.Variable(tf.truncated_normal((n_features, n_labels)))
// num_labels = 3; bias = tf.Variable(tf.zeros(num_labels))   (the tutorial's two snippets, as written)
var n_features = 120;
var n_labels = 5;
tf.set_random_seed(1);
var weights = tf.Variable(tf.truncated_normal((n_features, n_labels)));
var num_labels = 3;
var bias = tf.Variable(tf.zeros(num_labels));
using (var sess = tf.Session())
{
    sess.run(tf.global_variables_initializer());
    NDArray w = sess.run(weights);
    using (w)
        Console.WriteLine($"weights: shape ({w.shape[0]}, {w.shape[1]}), all within 2 standard deviations: {w.ToArray<float>().All(e => Math.Abs(e) <= 2)}");
    Console.WriteLine($"bias: {sess.run(bias)}");
}
