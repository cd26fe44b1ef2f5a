// Tutorial sections "TensorFlow Math", "The Mathematics Behind Neural Networks" and "RELU and Softmax".
// Run: dotnet run examples/TensorMath.cs
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;

using var sess = tf.Session();

// tf.subtract(tf.cast(tf.constant(2.0), tf.int32), tf.constant(1))  # 1
Console.WriteLine($"tf.subtract(tf.cast(2.0, int32), 1) = {sess.run(tf.subtract(tf.cast(tf.constant(2.0), tf.int32), tf.constant(1)))}");
Console.WriteLine($"tf.add(5, 2) = {sess.run(tf.add(5, 2))}");
Console.WriteLine($"tf.multiply(2.5, 4.0) = {sess.run(tf.multiply(2.5, 4.0))}");
Console.WriteLine($"tf.divide(10, 4) = {sess.run(tf.divide(10, 4))}");

// One neuron: y = sigmoid(sum_i w_i x_i + b), the tutorial's numbers.
var x = tf.constant(new[] { 1.0, 2.0, 3.0, 4.0 });
var w = tf.constant(new[] { 0.5, -0.5, 0.3, 0.1 });
var h = tf.reduce_sum(x * w);
Console.WriteLine($"neuron: h = {sess.run(h)}, sigmoid(h) = {sess.run(tf.sigmoid(h))}");

// Activations: ReLU for hidden layers, softmax for class probabilities.
var logits = tf.constant(new[] { 2.0, 1.0, 0.1, -1.0 });
Console.WriteLine($"relu({sess.run(logits)}) = {sess.run(tf.nn.relu(logits))}");
var probabilities = tf.nn.softmax(logits);
Console.WriteLine($"softmax = {sess.run(probabilities)}, sum = {sess.run(tf.reduce_sum(probabilities))}");
