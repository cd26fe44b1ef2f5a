using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// MaxPool, AvgPool and their gradients. One loop (<see cref="ForEachWindow"/>) visits every output element with its
/// window clipped to the image, so SAME padding never contributes: a max is over the real elements, an average
/// divides by the number of real elements (TensorFlow's rule). The max is the first largest element in row-major
/// window order, and MaxPoolGrad recomputes that same element, so on ties the whole gradient goes to the first
/// maximum, as TensorFlow's CPU kernel does. Max pooling on NHWC has a fast path vectorized across channels
/// (<see cref="MaxChannelsLast{T}"/>, <see cref="MaxGradChannelsLast{T}"/>) with the same rule; the per-element
/// loop stays beside it as its reference and serves NCHW.
/// </summary>
internal static class PoolKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("MaxPool", DataTypeExtensions.Floating, ctx => { var a = new PoolAction(ctx, max: true); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("AvgPool", DataTypeExtensions.Floating, ctx => { var a = new PoolAction(ctx, max: false); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("MaxPoolGrad", DataTypeExtensions.Floating, ctx => { var a = new MaxPoolGradAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("MaxPoolGradGrad", DataTypeExtensions.Floating, ctx => { var a = new MaxPoolGradGradAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
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
            if (max) MaxPool(x.Buffer<T>(), y, g, reference: false);
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
            MaxPoolGrad(x.Buffer<T>(), ctx.Input(2).Buffer<T>(), ctx.AllocateOutput(0, x.Dims).Buffer<T>(), g, reference: false);
        }
    }

    private readonly struct MaxPoolGradGradAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (x, grad) = (ctx.Input(0), ctx.Input(2));
            var g = Geometry(ctx, x.Dims);
            ConvKernels.CheckGradGradShapes(ctx, g, x, ctx.Input(1), grad);
            Span<int> dims = stackalloc int[4];
            g.OutputDims(dims);
            // Max pooling's loop, reading grad instead of x at each window's first maximum of x.
            var v = new Max<T>(x.Buffer<T>(), grad.Buffer<T>(), ctx.AllocateUninitializedOutput(0, dims).Buffer<T>(), g);
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

    /// <summary>y = max pool of x; <paramref name="reference"/> forces the per-element loop (for the tests).</summary>
    internal static void MaxPool<T>(T[] x, T[] y, in Window2D g, bool reference) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!reference && Vectorized<T>(g)) ForEachImage(g, new ChannelsLastPositions<MaxChannelsLast<T>>(new(x, y)));
        else { var v = new Max<T>(x, x, y, g); ForEachWindow(g, ref v); }
    }

    /// <summary>dx (zeroed) += each output's gradient at its window's first maximum.</summary>
    internal static void MaxPoolGrad<T>(T[] x, T[] grad, T[] dx, in Window2D g, bool reference) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!reference && Vectorized<T>(g)) ForEachImage(g, new ChannelsLastPositions<MaxGradChannelsLast<T>>(new(x, grad, dx)));
        else { var v = new MaxGrad<T>(x, grad, dx, g); ForEachWindow(g, ref v); }
    }

    /// <summary>
    /// NHWC with at least a vector of channels: a window's elements are whole channel vectors, C apart. Windows of
    /// fewer than 2^24 elements: <see cref="FirstMax{T}"/> counts positions in T, exact in float32 only that far.
    /// </summary>
    internal static bool Vectorized<T>(in Window2D g) where T : unmanaged =>
        !g.Nchw && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && g.C >= Vector256<T>.Count
        && (long)g.KH * g.KW < 1 << 24;

    private interface IWindowVisitor
    {
        /// <summary>Output element <paramref name="output"/>; its image and channel start at input offset <paramref name="input"/>; its window is rows [h0, h1) and columns [w0, w1) of the image.</summary>
        void Visit(int output, int input, int h0, int h1, int w0, int w1);
    }

    /// <summary>
    /// Calls the visitor for every output element with its window clipped to the image. A window is never empty:
    /// VALID windows lie inside the image, and SAME pads less than a window on each side.
    /// </summary>
    private static void ForEachWindow<TV>(in Window2D g, ref TV v) where TV : struct, IWindowVisitor =>
        ForEachImage(g, new PerWindow<TV>(v));

    /// <summary>Work on whole images [from, to) of a batch.</summary>
    private interface IImageWork
    {
        void Run(in Window2D g, int from, int to);
    }

    private readonly struct PerWindow<TV>(TV visitor) : IImageWork where TV : struct, IWindowVisitor
    {
        public void Run(in Window2D g, int from, int to)
        {
            var v = visitor;
            Images(g, ref v, from, to);
        }
    }

    private static void ForEachImage<TW>(in Window2D g, TW work) where TW : struct, IImageWork
    {
        // Images are independent (each reads and writes only its own), so large batches are split across the cores.
        if (g.N > 1 && (long)g.N * g.OutImage * g.KH * g.KW >= 1 << 16) ImageJob<TW>.Run(g, work);
        else work.Run(g, 0, g.N);
    }

    private sealed class ImageJob<TW> : IRangeWork where TW : struct, IImageWork
    {
        [ThreadStatic] private static ImageJob<TW>? current;
        private Window2D _g;
        private TW _work;

        public static void Run(in Window2D g, TW work)
        {
            var job = current ??= new ImageJob<TW>();
            (job._g, job._work) = (g, work);
            try { CpuParallel.For(g.N, job); }
            finally { job._work = default; }
        }

        public void Run(int start, int end) => _work.Run(_g, start, end);
    }

    /// <summary>Each output position's window clipped to the image, as <see cref="Images{TV}"/> visits them, once for all channels.</summary>
    private static (int Output, int H0, int H1, int W0, int W1) Window(in Window2D g, int b, int oh, int ow)
    {
        int top = oh * g.SH - g.PadTop, left = ow * g.SW - g.PadLeft;
        return (b * g.OutImage + (oh * g.OW + ow) * g.C, Math.Max(top, 0), Math.Min(top + g.KH, g.H), Math.Max(left, 0), Math.Min(left + g.KW, g.W));
    }

    /// <summary>
    /// The first maximum of each channel lane in a window, channels [k, k + vector) of the image at
    /// <paramref name="image"/>: its value, and its position in row-major window order counted in T (exact below 2^24
    /// elements in float32, which <see cref="Vectorized{T}"/> requires). The running maximum is replaced only where an
    /// element is strictly greater (compare and select), so each lane keeps the first maximum, NaN rules included,
    /// exactly as the scalar loop does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<T> Value, Vector256<T> At) FirstMax<T>(ref T px, in Window2D g, int image, int k, int h0, int h1, int w0, int w1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var best = Vector256.LoadUnsafe(ref px, (nuint)(image + (h0 * g.W + w0) * g.C + k));
        var at = Vector256<T>.Zero;
        var position = T.Zero;
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++, position++)
            {
                var v = Vector256.LoadUnsafe(ref px, (nuint)(image + (h * g.W + w) * g.C + k));
                var greater = Vector256.GreaterThan(v, best);
                best = Vector256.ConditionalSelect(greater, v, best);
                at = Vector256.ConditionalSelect(greater, Vector256.Create(position), at);
            }
        return (best, at);
    }

    /// <summary>Work on one output position of an NHWC pooling, all its channels: output offset, input image offset, clipped window.</summary>
    private interface IPositionWork
    {
        void Visit(in Window2D g, int output, int image, int h0, int h1, int w0, int w1);
    }

    /// <summary>Every output position of images [from, to) of an NHWC pooling, for <typeparamref name="TW"/>.</summary>
    private readonly struct ChannelsLastPositions<TW>(TW work) : IImageWork where TW : struct, IPositionWork
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(in Window2D g, int from, int to)
        {
            for (int b = from; b < to; b++)
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        var (output, h0, h1, w0, w1) = Window(g, b, oh, ow);
                        work.Visit(g, output, b * g.InImage, h0, h1, w0, w1);
                    }
        }
    }

    /// <summary>
    /// NHWC max pooling, a vector of channels at a time (<see cref="FirstMax{T}"/>). Channels past the last whole
    /// vector go through the scalar loop.
    /// </summary>
    private readonly struct MaxChannelsLast<T>(T[] x, T[] y) : IPositionWork where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Visit(in Window2D g, int output, int image, int h0, int h1, int w0, int w1)
        {
            int c = g.C, vector = Vector256<T>.Count, whole = c / vector * vector;
            ref T px = ref MemoryMarshal.GetArrayDataReference(x);
            ref T py = ref MemoryMarshal.GetArrayDataReference(y);
            for (int k = 0; k < whole; k += vector)
                FirstMax(ref px, g, image, k, h0, h1, w0, w1).Value.StoreUnsafe(ref py, (nuint)(output + k));
            for (int k = whole; k < c; k++) y[output + k] = x[ArgMax(x, g.InRow, c, image + k, h0, h1, w0, w1)];
        }
    }

    /// <summary>
    /// NHWC MaxPoolGrad, a vector of channels at a time: the first pass over the window finds, per lane, the index
    /// of the first maximum (<see cref="FirstMax{T}"/>); the second adds the gradient to the element at that index
    /// and zero to the others, so overlapping windows accumulate with no scatter.
    /// </summary>
    private readonly struct MaxGradChannelsLast<T>(T[] x, T[] grad, T[] dx) : IPositionWork where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Visit(in Window2D g, int output, int image, int h0, int h1, int w0, int w1)
        {
            int c = g.C, vector = Vector256<T>.Count, whole = c / vector * vector;
            ref T px = ref MemoryMarshal.GetArrayDataReference(x);
            ref T pg = ref MemoryMarshal.GetArrayDataReference(grad);
            ref T pd = ref MemoryMarshal.GetArrayDataReference(dx);
            for (int k = 0; k < whole; k += vector)
            {
                var at = FirstMax(ref px, g, image, k, h0, h1, w0, w1).At;
                var gradient = Vector256.LoadUnsafe(ref pg, (nuint)(output + k));
                var position = T.Zero;
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++, position++)
                    {
                        nuint i = (nuint)(image + (h * g.W + w) * c + k);
                        var mine = Vector256.Equals(at, Vector256.Create(position)) & gradient;
                        (Vector256.LoadUnsafe(ref pd, i) + mine).StoreUnsafe(ref pd, i);
                    }
            }
            for (int k = whole; k < c; k++) dx[ArgMax(x, g.InRow, c, image + k, h0, h1, w0, w1)] += grad[output + k];
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

    /// <summary>y = <paramref name="source"/> at each window's first maximum of x: the max pool (source x) or MaxPoolGradGrad (source grad).</summary>
    private readonly struct Max<T>(T[] x, T[] source, T[] y, Window2D g) : IWindowVisitor where T : INumber<T>
    {
        private readonly int _row = g.InRow, _col = g.InCol;
        public void Visit(int output, int input, int h0, int h1, int w0, int w1) => y[output] = source[ArgMax(x, _row, _col, input, h0, h1, w0, w1)];
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
