using System.Numerics;

namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// MaxPool, AvgPool and their gradients. One loop (<see cref="ForEachWindow"/>) visits every output element with its
/// window clipped to the image, so SAME padding never contributes: a max is over the real elements, an average
/// divides by the number of real elements (TensorFlow's rule). The max is the first largest element in row-major
/// window order, and MaxPoolGrad recomputes that same element, so on ties the whole gradient goes to the first
/// maximum, as TensorFlow's CPU kernel does.
/// </summary>
internal static class PoolKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("MaxPool", DataTypeExtensions.Floating, ctx => { var a = new PoolAction(ctx, max: true); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("AvgPool", DataTypeExtensions.Floating, ctx => { var a = new PoolAction(ctx, max: false); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("MaxPoolGrad", DataTypeExtensions.Floating, ctx => { var a = new MaxPoolGradAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        // The first input is the int32 orig_input_shape: the gradient's dtype picks the implementation.
        r.Register("AvgPoolGrad", null, ctx => { var a = new AvgPoolGradAction(ctx); TypeSwitch.Float(ctx.Input(1).dtype, ref a); });
    }

    private static Window2D Geometry(KernelContext ctx, ReadOnlySpan<int> x)
    {
        if (x.Length != 4) throw ctx.Error($"input must be 4-D, got shape {TensorShape.Format(x.ToArray())}.");
        return Window2D.Pool(x, ctx.Attr<int[]>("ksize"), ctx.Attr<int[]>("strides"), ctx.Attr<string>("data_format") == "NCHW",
                             ctx.Attr<string>("padding") == "SAME", ctx.Errors);
    }

    private readonly struct PoolAction(KernelContext ctx, bool max) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0);
            var g = Geometry(ctx, x.Dims);
            Span<int> dims = stackalloc int[4];
            g.OutputDims(dims);
            var y = ctx.AllocateUninitializedOutput(0, dims).Buffer<T>();
            if (max) { var v = new Max<T>(x.Buffer<T>(), y, g); ForEachWindow(g, ref v); }
            else { var v = new Average<T>(x.Buffer<T>(), y, g); ForEachWindow(g, ref v); }
        }
    }

    private readonly struct MaxPoolGradAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0);
            var g = Geometry(ctx, x.Dims);
            ConvKernels.CheckGradientShape(ctx, g, ctx.Input(1));
            ConvKernels.CheckGradientShape(ctx, g, ctx.Input(2));
            // The maxima are recomputed from orig_input (orig_output is not needed to find them).
            var v = new MaxGrad<T>(x.Buffer<T>(), ctx.Input(2).Buffer<T>(), ctx.AllocateOutput(0, x.Dims).Buffer<T>(), g);
            ForEachWindow(g, ref v);
        }
    }

    private readonly struct AvgPoolGradAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            Span<int> dims = stackalloc int[4];
            ConvKernels.ReadSizes(ctx, 0, dims);
            var g = Geometry(ctx, dims);
            ConvKernels.CheckGradientShape(ctx, g, ctx.Input(1));
            var v = new AverageGrad<T>(ctx.Input(1).Buffer<T>(), ctx.AllocateOutput(0, dims).Buffer<T>(), g);
            ForEachWindow(g, ref v);
        }
    }

    private interface IWindowVisitor
    {
        /// <summary>Output element <paramref name="output"/>; its image and channel start at input offset <paramref name="input"/>; its window is rows [h0, h1) and columns [w0, w1) of the image.</summary>
        void Visit(int output, int input, int h0, int h1, int w0, int w1);
    }

    /// <summary>
    /// Calls the visitor for every output element with its window clipped to the image. A window is never empty:
    /// VALID windows lie inside the image, and SAME pads less than a window on each side.
    /// </summary>
    private static void ForEachWindow<TV>(in Window2D g, ref TV v) where TV : struct, IWindowVisitor
    {
        // Images are independent (each reads and writes only its own), so large batches are split across the cores.
        if (g.N > 1 && (long)g.N * g.OutImage * g.KH * g.KW >= 1 << 16) WindowJob<TV>.Run(g, v);
        else Images(g, ref v, 0, g.N);
    }

    private sealed class WindowJob<TV> : IRangeWork where TV : struct, IWindowVisitor
    {
        [ThreadStatic] private static WindowJob<TV>? current;
        private Window2D _g;
        private TV _visitor;

        public static void Run(in Window2D g, TV visitor)
        {
            var job = current ??= new WindowJob<TV>();
            (job._g, job._visitor) = (g, visitor);
            try { CpuParallel.For(g.N, job); }
            finally { job._visitor = default; }
        }

        public void Run(int start, int end)
        {
            var v = _visitor;
            Images(_g, ref v, start, end);
        }
    }

    private static void Images<TV>(in Window2D g, ref TV v, int from, int to) where TV : struct, IWindowVisitor
    {
        for (int b = from; b < to; b++)
            for (int oh = 0; oh < g.OH; oh++)
            {
                int top = oh * g.SH - g.PadTop;
                int h0 = Math.Max(top, 0), h1 = Math.Min(top + g.KH, g.H);
                for (int ow = 0; ow < g.OW; ow++)
                {
                    int left = ow * g.SW - g.PadLeft;
                    int w0 = Math.Max(left, 0), w1 = Math.Min(left + g.KW, g.W);
                    int output = b * g.OutImage + g.OutPosition(oh * g.OW + ow);
                    for (int c = 0; c < g.C; c++)
                        v.Visit(output + c * g.OutChannel, b * g.InImage + c * g.InChannel, h0, h1, w0, w1);
                }
            }
    }

    /// <summary>The offset of the first largest element of a window, in row-major order (later equal values do not replace it).</summary>
    private static int ArgMax<T>(T[] x, int row, int col, int input, int h0, int h1, int w0, int w1) where T : INumber<T>
    {
        int best = input + h0 * row + w0 * col;
        for (int h = h0; h < h1; h++)
            for (int w = w0, i = input + h * row + w0 * col; w < w1; w++, i += col)
                if (x[i] > x[best]) best = i;
        return best;
    }

    private readonly struct Max<T>(T[] x, T[] y, Window2D g) : IWindowVisitor where T : INumber<T>
    {
        private readonly int _row = g.InRow, _col = g.InCol;
        public void Visit(int output, int input, int h0, int h1, int w0, int w1) => y[output] = x[ArgMax(x, _row, _col, input, h0, h1, w0, w1)];
    }

    private readonly struct MaxGrad<T>(T[] x, T[] grad, T[] dx, Window2D g) : IWindowVisitor where T : INumber<T>
    {
        private readonly int _row = g.InRow, _col = g.InCol;
        public void Visit(int output, int input, int h0, int h1, int w0, int w1) => dx[ArgMax(x, _row, _col, input, h0, h1, w0, w1)] += grad[output];
    }

    private readonly struct Average<T>(T[] x, T[] y, Window2D g) : IWindowVisitor where T : INumber<T>
    {
        private readonly int _row = g.InRow, _col = g.InCol;

        public void Visit(int output, int input, int h0, int h1, int w0, int w1)
        {
            var sum = T.Zero;
            for (int h = h0; h < h1; h++)
                for (int w = w0, i = input + h * _row + w0 * _col; w < w1; w++, i += _col) sum += x[i];
            y[output] = sum / T.CreateTruncating((h1 - h0) * (w1 - w0));
        }
    }

    /// <summary>Each output's gradient is shared equally by the real elements of its window.</summary>
    private readonly struct AverageGrad<T>(T[] grad, T[] dx, Window2D g) : IWindowVisitor where T : INumber<T>
    {
        private readonly int _row = g.InRow, _col = g.InCol;

        public void Visit(int output, int input, int h0, int h1, int w0, int w1)
        {
            var share = grad[output] / T.CreateTruncating((h1 - h0) * (w1 - w0));
            for (int h = h0; h < h1; h++)
                for (int w = w0, i = input + h * _row + w0 * _col; w < w1; w++, i += _col) dx[i] += share;
        }
    }
}
