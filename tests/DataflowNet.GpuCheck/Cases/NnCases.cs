namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    public static IEnumerable<KernelCase> Nn =>
    [
        new("Softmax", () => tf.nn.softmax(Random([64, 10], -20, 20)), 1e-6),
        new("LogSoftmax", () => tf.nn.log_softmax(Random([64, 10], -20, 20)), 1e-5),
        new("SoftmaxCrossEntropyWithLogits", () => tf.nn.softmax_cross_entropy_with_logits(
            labels: Constant(Enumerable.Range(0, 640).Select(i => i % 10 == i / 64 % 10 ? 1f : 0f).ToArray(), 64, 10),
            logits: Random([64, 10], -5, 5)), 1e-5),
    ];
}
