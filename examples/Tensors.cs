// Tutorial section "Tensors": values of any rank and dtype, strings included.
// Run: dotnet run examples/Tensors.cs
#:project ../src/DataflowNet/DataflowNet.csproj
using DataflowNet;

var tensors = new (string Label, Tensor T)[]
{
    ("0-d string", tf.constant("Hello World!")),
    ("0-d int32", tf.constant(500)),
    ("1-d int32", tf.constant(new[] { 345, 999, 888, 7777 })),
    ("2-d int32", tf.constant(new[,] { { 1, 2, 3 }, { 444, 555, 666 }, { 77, 88, 99 } })),
    ("3-d float32 (jagged array)", tf.constant(new[] { new[] { new[] { 1.5f, 2.5f } }, new[] { new[] { 3.5f, 4.5f } } })),
    ("1-d float64", tf.constant(new[] { 0.1, 0.2 }, dtype: tf.float64)),
    ("1-d bool", tf.constant(new[] { true, false, true })),
    ("2-d string", tf.constant(new[,] { { "deep", "learning" }, { "with", "graphs" } })),
};

using var sess = tf.Session();
foreach (var (label, t) in tensors)
{
    var value = sess.run(t);
    Console.WriteLine($"{label}: dtype={t.dtype.Name()} shape={t.shape}");
    Console.WriteLine(value);
}
