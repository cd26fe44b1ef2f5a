namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    /// <summary>
    /// Convolution and pooling: both data formats, SAME and VALID, strides and dilations, sizes that are not
    /// multiples of the 16×16 tiles; the gradient ops through the gradients of a weighted sum, so each gets a
    /// non-uniform upstream gradient.
    /// </summary>
    public static IEnumerable<KernelCase> Conv =>
    [
        new("Conv2D NHWC SAME 5x5", () => Conv2D([2, 13, 11, 3], [5, 5, 3, 17], [1], "SAME", "NHWC"), 1e-4),
        new("Conv2D NHWC VALID stride 2", () => Conv2D([3, 17, 15, 7], [3, 3, 7, 19], [2], "VALID", "NHWC"), 1e-4),
        new("Conv2D NCHW SAME strides 2,3", () => Conv2D([2, 5, 12, 13], [3, 4, 5, 9], [2, 3], "SAME", "NCHW"), 1e-4),
        new("Conv2D NHWC SAME dilation 2", () => Conv2D([2, 12, 12, 4], [3, 3, 4, 6], [1], "SAME", "NHWC", [2]), 1e-4),
        new("Conv2D NCHW VALID dilations 2,1", () => Conv2D([2, 3, 11, 9], [3, 2, 3, 5], [1], "VALID", "NCHW", [2, 1]), 1e-4),
        new("Conv2D 1x1 K>16 O>16", () => Conv2D([2, 7, 9, 37], [1, 1, 37, 33], [1], "VALID", "NHWC"), 1e-4),

        new("Conv2DBackpropInput NHWC SAME 5x5", () => ConvGrad([2, 13, 11, 3], [5, 5, 3, 17], [1], "SAME", "NHWC"), 1e-4),
        new("Conv2DBackpropInput NHWC VALID stride 2", () => ConvGrad([3, 17, 15, 7], [3, 3, 7, 19], [2], "VALID", "NHWC"), 1e-4),
        new("Conv2DBackpropInput NCHW SAME strides 2,3", () => ConvGrad([2, 5, 12, 13], [3, 4, 5, 9], [2, 3], "SAME", "NCHW"), 1e-4),
        new("Conv2DBackpropInput SAME stride 2 dilation 2", () => ConvGrad([2, 13, 12, 4], [3, 3, 4, 6], [2], "SAME", "NHWC", [2]), 1e-4),
        new("Conv2DBackpropInput NCHW VALID dilations 2,1", () => ConvGrad([2, 3, 11, 9], [3, 2, 3, 5], [1], "VALID", "NCHW", [2, 1]), 1e-4),

        // Enough positions for the inner dimension to be split over several partial products...
        new("Conv2DBackpropFilter NHWC SAME split", () => ConvGrad([4, 15, 17, 3], [3, 3, 3, 5], [1], "SAME", "NHWC", filter: true), 1e-4),
        new("Conv2DBackpropFilter NCHW SAME strides 2,3 split", () => ConvGrad([6, 5, 24, 26], [3, 4, 5, 9], [2, 3], "SAME", "NCHW", filter: true), 1e-4),
        // ...and few enough for one.
        new("Conv2DBackpropFilter NHWC VALID stride 2", () => ConvGrad([3, 17, 15, 7], [3, 3, 7, 19], [2], "VALID", "NHWC", filter: true), 1e-4),
        new("Conv2DBackpropFilter NHWC SAME dilation 2", () => ConvGrad([2, 12, 12, 4], [3, 3, 4, 6], [1], "SAME", "NHWC", [2], filter: true), 1e-4),
        new("Conv2DBackpropFilter NCHW VALID dilations 2,1", () => ConvGrad([2, 3, 11, 9], [3, 2, 3, 5], [1], "VALID", "NCHW", [2, 1], filter: true), 1e-4),

        new("MaxPool NHWC SAME 3x3 stride 2", () => tf.nn.max_pool(Random([2, 13, 11, 5]), [3], [2], "SAME"), 0),
        new("MaxPool NCHW VALID 2x2 stride 2", () => tf.nn.max_pool(Random([2, 5, 12, 9]), [2], [2], "VALID", "NCHW"), 0),
        new("MaxPool NHWC SAME 2x2 stride 2 (CNN)", () => tf.nn.max_pool(Random([3, 28, 28, 4]), [2], [2], "SAME"), 0),
        new("AvgPool NHWC SAME 3x3 stride 2", () => tf.nn.avg_pool(Random([2, 13, 11, 5]), [3], [2], "SAME"), 1e-6),
        new("AvgPool NCHW VALID 2x3 strides 1,2", () => tf.nn.avg_pool(Random([2, 5, 12, 9]), [2, 3], [1, 2], "VALID", "NCHW"), 1e-6),

        new("MaxPoolGrad NHWC SAME 3x3 stride 2", () => PoolGrad(true, [2, 13, 11, 5], [3], [2], "SAME", "NHWC"), 1e-6),
        new("MaxPoolGrad NCHW VALID 2x2 stride 2", () => PoolGrad(true, [2, 5, 12, 9], [2], [2], "VALID", "NCHW"), 1e-6),
        new("MaxPoolGrad ties SAME 3x3 stride 1", () => PoolGrad(true, [2, 9, 10, 3], [3], [1], "SAME", "NHWC", ties: true), 1e-6),
        new("MaxPoolGradGrad NHWC SAME 3x3 stride 2", () => PoolGradGrad([2, 13, 11, 5], [3], [2], "SAME", "NHWC"), 0),
        new("MaxPoolGradGrad ties NCHW VALID 2x2 stride 1", () => PoolGradGrad([2, 5, 12, 9], [2], [1], "VALID", "NCHW", ties: true), 0),
        new("AvgPoolGrad NHWC SAME 3x3 stride 2", () => PoolGrad(false, [2, 13, 11, 5], [3], [2], "SAME", "NHWC"), 1e-6),
        new("AvgPoolGrad NCHW VALID 2x3 strides 1,2", () => PoolGrad(false, [2, 5, 12, 9], [2, 3], [1, 2], "VALID", "NCHW"), 1e-6),

        new("BiasAddGrad NHWC", () => BiasGrad([2, 5, 5, 7], "NHWC"), 1e-5),
        new("BiasAddGrad NCHW", () => BiasGrad([2, 7, 5, 5], "NCHW"), 1e-5),
        new("BiasAddGrad matrix 300x33", () => BiasGrad([300, 33], "NHWC"), 1e-5),
        // Big enough to be summed in slices of the batch (4 and 3, the last one short), then the slices in order. Sums of
        // 16,384 and 12,800 float32 terms in another order than the CPU's: rounding differences near 1e-5 of the sum.
        new("BiasAddGrad NHWC sliced", () => BiasGrad([16, 32, 32, 8], "NHWC"), 1e-4),
        new("BiasAddGrad NCHW sliced", () => BiasGrad([8, 3, 40, 40], "NCHW"), 1e-4),
    ];

    private static Tensor Conv2D(int[] x, int[] f, int[] strides, string padding, string format, int[]? dilations = null) =>
        tf.nn.conv2d(Random(x), Random(f, seed: 2), strides, padding, format, dilations);

    /// <summary>The gradient of Σ conv2d(x, f) · w with respect to x (Conv2DBackpropInput) or f (Conv2DBackpropFilter).</summary>
    private static Tensor ConvGrad(int[] x, int[] f, int[] strides, string padding, string format, int[]? dilations = null, bool filter = false)
    {
        var (xt, ft) = (Random(x), Random(f, seed: 2));
        var y = tf.nn.conv2d(xt, ft, strides, padding, format, dilations);
        return tf.gradients(tf.reduce_sum(y * Random(y.shape.Dims, seed: 3)), filter ? ft : xt)[0]!;
    }

    /// <summary>The gradient of Σ pool(x) · w with respect to x: MaxPoolGrad or AvgPoolGrad. With ties, x holds few distinct values.</summary>
    private static Tensor PoolGrad(bool max, int[] x, int[] ksize, int[] strides, string padding, string format, bool ties = false)
    {
        int n = x.Aggregate(1, (a, b) => a * b);
        var data = Data(n);
        if (ties) data = data.Select(v => MathF.Round(v * 2) / 2).ToArray();
        var xt = Constant(data, x);
        var y = max ? tf.nn.max_pool(xt, ksize, strides, padding, format) : tf.nn.avg_pool(xt, ksize, strides, padding, format);
        return tf.gradients(tf.reduce_sum(y * Random(y.shape.Dims, seed: 3)), xt)[0]!;
    }

    /// <summary>MaxPoolGrad's gradient with respect to its grad (MaxPoolGradGrad): v read at each window's first maximum of x.</summary>
    private static Tensor PoolGradGrad(int[] x, int[] ksize, int[] strides, string padding, string format, bool ties = false)
    {
        int n = x.Aggregate(1, (a, b) => a * b);
        var data = Data(n);
        if (ties) data = data.Select(v => MathF.Round(v * 2) / 2).ToArray();
        var xt = Constant(data, x);
        var y = tf.nn.max_pool(xt, ksize, strides, padding, format);
        var dy = Random(y.shape.Dims, seed: 3);
        var routed = tf.gradients(y, xt, grad_ys: dy)[0]!;
        return tf.gradients(routed, dy, grad_ys: Random(x, seed: 4))[0]!;
    }

    /// <summary>The gradient of Σ bias_add(x, b) · w with respect to b: BiasAddGrad.</summary>
    private static Tensor BiasGrad(int[] x, string format)
    {
        var b = Random([x[format == "NCHW" ? 1 : x.Length - 1]], seed: 2);
        var y = tf.nn.bias_add(Random(x), b, format);
        return tf.gradients(tf.reduce_sum(y * Random(x, seed: 3)), b)[0]!;
    }
}
