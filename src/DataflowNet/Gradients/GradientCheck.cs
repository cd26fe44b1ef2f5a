namespace DataflowNet;

/// <summary>Jacobians two ways, as tf.test.compute_gradient: symbolic (one tf.gradients per output element) and by central differences.</summary>
internal static class GradientCheck
{
    public static double MaxError(Tensor x, TensorShape xShape, Tensor y, TensorShape yShape, object? xInit, double delta, FeedDict? extraFeeds)
    {
        var (theoretical, numerical) = Jacobians(x, xShape, y, yShape, xInit, delta, extraFeeds);
        double max = 0;
        for (int i = 0; i < theoretical.GetLength(0); i++)
            for (int j = 0; j < theoretical.GetLength(1); j++)
                max = Math.Max(max, Math.Abs(theoretical[i, j] - numerical[i, j]));
        return max;
    }

    public static (double[,] Theoretical, double[,] Numerical) Jacobians(Tensor x, TensorShape xShape, Tensor y, TensorShape yShape,
                                                                         object? xInit, double delta, FeedDict? extraFeeds)
    {
        if (!xShape.IsFullyDefined || !yShape.IsFullyDefined)
            throw new InvalidArgumentException($"compute_gradient_error needs fully defined shapes, got x {xShape} and y {yShape}.");
        int n = (int)xShape.NumElements(), m = (int)yShape.NumElements();
        var x0 = xInit is null
            ? Enumerable.Range(0, n).Select(i => ((i * 7919 + 13) % 2000) / 1000.0 - 1.0).ToArray()
            : ValueConversion.FromObject(xInit, DataType.Float64, "x_init_value").ToArray<double>();
        if (x0.Length != n) throw new InvalidArgumentException($"x_init_value has {x0.Length} values for x of shape {xShape}.");

        var graph = y.graph;
        using var _ = graph.as_default();
        var dy = tf.placeholder(y.dtype, yShape, name: "grad_check_dy");
        var dx = Gradients.Compute([y], [x], [dy])[0];
        using var sess = new Session(graph);
        if (graph.get_collection<Variable>(GraphKeys.GLOBAL_VARIABLES).Count > 0) sess.run(tf.global_variables_initializer());

        TensorValue Value(double[] v, DataType t, int[] dims) =>
            ValueConversion.Convert(TensorValue.Create(v, dims), t, ConversionMode.Truncating, "gradient check");
        FeedDict Feeds(double[] xv)
        {
            var f = new FeedDict { [x] = Value(xv, x.dtype, xShape.Dims) };
            if (extraFeeds is not null) foreach (var (k, v) in extraFeeds) f[k] = v;
            return f;
        }

        var theoretical = new double[n, m];
        for (int j = 0; j < m; j++)
        {
            if (dx is null) break;
            var unit = new double[m];
            unit[j] = 1;
            var feeds = Feeds(x0);
            feeds[dy] = Value(unit, y.dtype, yShape.Dims);
            var column = sess.run(dx, feeds).ToArray<double>();
            for (int i = 0; i < n; i++) theoretical[i, j] = column[i];
        }

        var numerical = new double[n, m];
        for (int i = 0; i < n; i++)
        {
            var plus = (double[])x0.Clone();
            var minus = (double[])x0.Clone();
            plus[i] += delta;
            minus[i] -= delta;
            var yp = sess.run(y, Feeds(plus)).ToArray<double>();
            var ym = sess.run(y, Feeds(minus)).ToArray<double>();
            for (int j = 0; j < m; j++) numerical[i, j] = (yp[j] - ym[j]) / (2 * delta);
        }
        return (theoretical, numerical);
    }
}
