// Tutorial sections "A TensorFlow Session", "TensorFlow Input" and "Session's feed_dict".
// Run: dotnet run examples/Sessions.cs
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;
using NumSharp;

// A session runs the graph: it evaluates what you fetch, and only what that needs.
var a = tf.constant(3.0);
var b = tf.constant(4.0);
var hypotenuse = tf.sqrt(a * a + b * b);
using (var sess = tf.Session())
{
    Console.WriteLine($"sqrt(3^2 + 4^2) = {sess.run(hypotenuse)}");
    var (sum, product) = sess.run((a + b, a * b));
    Console.WriteLine($"a + b = {sum}, a * b = {product}");
}

// Placeholders take their value from feed_dict when the session runs.
var x = tf.placeholder(tf.float32, shape: (-1, 3), name: "x");
var rowSums = tf.reduce_sum(x, axis: 1);
using (var sess = tf.Session())
{
    Console.WriteLine($"fed a C# array:   {sess.run(rowSums, feed_dict: new FeedDict { [x] = new[,] { { 1.0, 2.0, 3.0 }, { 4.0, 5.0, 6.0 } } })}");
    using var batch = np.ones(new Shape(4, 3), NPTypeCode.Single);
    Console.WriteLine($"fed an NDArray:   {sess.run(rowSums, (x, batch))}");

    // A feed that does not fit the placeholder is refused before anything runs.
    try { sess.run(rowSums, (x, new[] { 1f, 2f })); }
    catch (InvalidArgumentException e) { Console.WriteLine($"refused: {e.Message}"); }
}

// String placeholders, as in the tutorial.
var s = tf.placeholder(tf.@string);
using (var sess = tf.Session())
    Console.WriteLine(sess.run(s, feed_dict: new FeedDict { [s] = "Hello World" }));

// For scripts: an InteractiveSession becomes the default, so tensors can eval() themselves.
using (var isess = tf.InteractiveSession())
    Console.WriteLine($"eval(): {(a * 10).eval()}");
