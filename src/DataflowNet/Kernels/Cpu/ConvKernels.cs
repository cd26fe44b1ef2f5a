using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// Conv2D and its backprops as matrix products over an im2col matrix: row (image, output position) holds the
/// input values under the filter at that position, KH·KW·C of them in the filter's (kh, kw, c) order, zero where
/// the filter overhangs the padding. With K = KH·KW·C and the filter seen as a [K, O] matrix:
/// <list type="bullet">
/// <item>forward: y[positions, O] = col · filter;</item>
/// <item>input backprop: dcol = dy[positions, O] · filterᵀ, and col2im adds each dcol row back where it was read from;</item>
/// <item>filter backprop: dfilterᵀ[O, K] = dyᵀ[O, positions] · col.</item>
/// </list>
/// The batch goes through in chunks of whole images so the column matrix stays bounded, and every buffer is kept in
/// the kernel's scratch from run to run. Every product goes through <see cref="Gemm"/>.
/// </summary>
internal static class ConvKernels
{
    /// <summary>Most elements of the column matrix at once (16 MiB of float32): bounds the chunk of images.</summary>
    private const int ColumnLimit = 1 << 22;

    public static void Register(KernelRegistry r)
    {
        r.Register("Conv2D", DataTypeExtensions.Floating, ctx => { var a = new ForwardAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        // The first input is the int32 input_sizes: every dtype is let through here and the filter's picks the implementation.
        r.Register("Conv2DBackpropInput", null, ctx => { var a = new BackpropInputAction(ctx); TypeSwitch.Float(ctx.Input(1).dtype, ref a); });
        r.Register("Conv2DBackpropFilter", DataTypeExtensions.Floating, ctx => { var a = new BackpropFilterAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
    }

    /// <summary>
    /// The one matrix product here: C[m, n] = A[m, k] · B[k, n], row-major, over the leading elements of each array
    /// (scratch arrays may be longer). Swap in a faster GEMM by changing this call.
    /// </summary>
    private static void Gemm<T>(T[] a, T[] b, T[] c, int m, int k, int n, bool transposeA = false, bool transposeB = false, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        // Scratch arrays only grow, so they may be longer than the product needs: pass exact slices. The blocked GEMM
        // reads transposed operands in place (its packing), so no transpose is ever materialized here.
        Cpu.Gemm.Multiply<T>(a.AsSpan(0, m * k), transposeA, b.AsSpan(0, k * n), transposeB, c.AsSpan(0, m * n), m, k, n, accumulate);

    private readonly struct ForwardAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0);
            var filter = ctx.Input(1);
            var g = Geometry(ctx, x.Dims, filter.Dims, null);
            Span<int> dims = stackalloc int[4];
            g.OutputDims(dims);
            var y = ctx.AllocateUninitializedOutput(0, dims).Buffer<T>();
            if (y.Length == 0) return;
            var s = Buffers<T>.Of(ctx);
            int chunk = Chunk(g);
            for (int b0 = 0; b0 < g.N; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.N - b0);
                var col = Buffers<T>.AtLeast(ref s.Col, nb * g.P * g.K);
                Im2Col(x.Buffer<T>(), col, g, b0, nb);
                // The product's rows are NHWC output rows: with the whole batch in one chunk it writes the output itself.
                bool direct = !g.Nchw && nb == g.N;
                var rows = direct ? y : Buffers<T>.AtLeast(ref s.Rows, nb * g.OutImage);
                Gemm(col, filter.Buffer<T>(), rows, nb * g.P, g.K, g.O);
                if (!direct) RowsToTensor(rows, y, g, b0, nb);
            }
        }
    }

    private readonly struct BackpropInputAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            Span<int> xDims = stackalloc int[4];
            ReadSizes(ctx, 0, xDims);
            var filter = ctx.Input(1);
            var dy = ctx.Input(2);
            var g = Geometry(ctx, xDims, filter.Dims, dy);
            var dx = ctx.AllocateOutput(0, xDims).Buffer<T>(); // zero-filled: col2im adds into it
            if (dx.Length == 0 || dy.size == 0) return;
            var s = Buffers<T>.Of(ctx);
            int chunk = Chunk(g);
            for (int b0 = 0; b0 < g.N; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.N - b0);
                bool direct = !g.Nchw && nb == g.N;
                var rows = direct ? dy.Buffer<T>() : Buffers<T>.AtLeast(ref s.Rows, nb * g.OutImage);
                if (!direct) TensorToRows(dy.Buffer<T>(), rows, g, b0, nb);
                var dcol = Buffers<T>.AtLeast(ref s.Col, nb * g.P * g.K);
                // dcol[P, K] = dy[P, O] · filterᵀ (the filter is [K, O]).
                Gemm(rows, filter.Buffer<T>(), dcol, nb * g.P, g.O, g.K, transposeB: true);
                Col2Im(dcol, dx, g, b0, nb);
            }
        }
    }

    private readonly struct BackpropFilterAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0);
            Span<int> fDims = stackalloc int[4];
            ReadSizes(ctx, 1, fDims);
            var dy = ctx.Input(2);
            var g = Geometry(ctx, x.Dims, fDims, dy);
            var df = ctx.AllocateOutput(0, fDims).Buffer<T>(); // zero-filled: each chunk adds its share
            if (df.Length == 0 || dy.size == 0) return;
            var s = Buffers<T>.Of(ctx);
            int chunk = Chunk(g);
            for (int b0 = 0; b0 < g.N; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.N - b0);
                var col = Buffers<T>.AtLeast(ref s.Col, nb * g.P * g.K);
                Im2Col(x.Buffer<T>(), col, g, b0, nb);
                bool direct = !g.Nchw && nb == g.N;
                var rows = direct ? dy.Buffer<T>() : Buffers<T>.AtLeast(ref s.Rows, nb * g.OutImage);
                if (!direct) TensorToRows(dy.Buffer<T>(), rows, g, b0, nb);
                // df[K, O] += colᵀ[K, P] · dy[P, O], accumulated over the batch chunks into the zero-filled output.
                Gemm(col, rows, df, g.K, nb * g.P, g.O, transposeA: true, accumulate: true);
            }
        }
    }

    /// <summary>The geometry at run time, with the checks a shape function could not make on unknown dims.</summary>
    internal static Window2D Geometry(KernelContext ctx, ReadOnlySpan<int> x, ReadOnlySpan<int> f, TensorValue? dy)
    {
        if (x.Length != 4 || f.Length != 4)
            throw ctx.Error($"input and filter must be 4-D, got shapes {TensorShape.Format(x.ToArray())} and {TensorShape.Format(f.ToArray())}.");
        var g = Window2D.Conv(x, f, ctx.Attr<int[]>("strides"), ctx.Attr<int[]>("dilations"), ctx.Attr<string>("data_format") == "NCHW",
                              ctx.Attr<string>("padding") == "SAME", ctx.Errors);
        if (g.C != f[2])
            throw ctx.Error($"input and filter must have the same depth: {g.C} vs {f[2]} (input shape {TensorShape.Format(x.ToArray())}, filter shape {TensorShape.Format(f.ToArray())}).");
        if (dy is not null) CheckGradientShape(ctx, g, dy);
        return g;
    }

    /// <summary>A gradient input must have the forward output's shape.</summary>
    internal static void CheckGradientShape(KernelContext ctx, in Window2D g, TensorValue dy)
    {
        Span<int> expected = stackalloc int[4];
        g.OutputDims(expected);
        if (!dy.Dims.AsSpan().SequenceEqual(expected))
            throw ctx.Error($"The gradient has shape {TensorShape.Format(dy.Dims)}, but the forward op's output has shape {TensorShape.Format(expected.ToArray())}.");
    }

    /// <summary>A shape given as an int32 vector input (input_sizes, filter_sizes, orig_input_shape).</summary>
    internal static void ReadSizes(KernelContext ctx, int input, Span<int> dims)
    {
        var v = ctx.Input(input);
        if (v.ndim != 1 || v.size != 4)
            throw ctx.Error($"Input {input} must be a vector of 4 sizes, got shape {TensorShape.Format(v.Dims)}.");
        var d = v.Buffer<int>();
        for (int k = 0; k < 4; k++)
            dims[k] = d[k] >= 0 ? d[k] : throw ctx.Error($"Input {input} holds a negative size: [{string.Join(", ", d)}].");
    }

    /// <summary>Whole images per chunk: as many as keep the column matrix within <see cref="ColumnLimit"/>, at least one.</summary>
    private static int Chunk(in Window2D g) => Math.Clamp(ColumnLimit / Math.Max(1, g.P * g.K), 1, Math.Max(1, g.N));

    /// <summary>Rows (b·P + p) of the column matrix for images [b0, b0 + nb).</summary>
    private static void Im2Col<T>(T[] x, T[] col, in Window2D g, int b0, int nb) where T : unmanaged, INumber<T> =>
        ImageJob<T>.Run(x, col, g, b0, nb, toColumns: true);

    private static void Col2Im<T>(T[] col, T[] dx, in Window2D g, int b0, int nb) where T : unmanaged, INumber<T> =>
        ImageJob<T>.Run(dx, col, g, b0, nb, toColumns: false);

    /// <summary>
    /// The one walk over the windows of images [from, to): for each output position, each tap (kh, kw) with its row
    /// of C channels in the columns, and where the tap reads the input (-1 in the padding). im2col and col2im are
    /// the two directions of this walk.
    /// </summary>
    private static void ForEachTap<T, TV>(T[] col, in Window2D g, int b0, int from, int to, ref TV v)
        where T : unmanaged, INumber<T> where TV : struct, ITap<T>
    {
        int C = g.C;
        for (int b = from; b < to; b++)
        {
            int image = (b0 + b) * g.InImage;
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    var row = col.AsSpan(((b * g.OH + oh) * g.OW + ow) * g.K, g.K);
                    for (int kh = 0, k = 0; kh < g.KH; kh++)
                    {
                        int ih = oh * g.SH - g.PadTop + kh * g.DH;
                        for (int kw = 0; kw < g.KW; kw++, k += C)
                        {
                            int iw = ow * g.SW - g.PadLeft + kw * g.DW;
                            bool outside = (uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W;
                            v.Tap(row.Slice(k, C), outside ? -1 : image + ih * g.InRow + iw * g.InCol);
                        }
                    }
                }
        }
    }

    private interface ITap<T>
    {
        /// <summary>One tap: its C column entries, and the input offset of its first channel (-1: padding).</summary>
        void Tap(Span<T> taps, int at);
    }

    /// <summary>im2col: copy the input under each tap into the columns (zeros in the padding).</summary>
    private readonly struct ToColumns<T>(T[] x, int channelStride, bool nchw) : ITap<T> where T : unmanaged, INumber<T>
    {
        public void Tap(Span<T> taps, int at)
        {
            if (at < 0) taps.Clear();
            else if (taps.Length == 1) taps[0] = x[at];
            else if (!nchw) x.AsSpan(at, taps.Length).CopyTo(taps);
            else for (int c = 0; c < taps.Length; c++) taps[c] = x[at + c * channelStride];
        }
    }

    /// <summary>col2im: add each tap back into the input position it was read from (taps in the padding are dropped).</summary>
    private readonly struct FromColumns<T>(T[] dx, int channelStride, bool nchw) : ITap<T> where T : unmanaged, INumber<T>
    {
        public void Tap(Span<T> taps, int at)
        {
            if (at < 0) return;
            if (taps.Length == 1) dx[at] += taps[0];
            else if (!nchw) TP.Add(dx.AsSpan(at, taps.Length), taps, dx.AsSpan(at, taps.Length));
            else for (int c = 0; c < taps.Length; c++) dx[at + c * channelStride] += taps[c];
        }
    }

    /// <summary>
    /// im2col or col2im over the images of a chunk, split across the cores: images are independent (each writes its
    /// own rows of the columns, or its own image of the gradient). One job object per thread, reused.
    /// </summary>
    private sealed class ImageJob<T> : IRangeWork where T : unmanaged, INumber<T>
    {
        [ThreadStatic] private static ImageJob<T>? current;
        private T[] _tensor = [], _col = [];
        private Window2D _g;
        private int _b0;
        private bool _toColumns;

        public static void Run(T[] tensor, T[] col, in Window2D g, int b0, int nb, bool toColumns)
        {
            var job = current ??= new ImageJob<T>();
            (job._tensor, job._col, job._g, job._b0, job._toColumns) = (tensor, col, g, b0, toColumns);
            try
            {
                if (nb > 1 && (long)nb * g.P * g.K >= 1 << 15) CpuParallel.For(nb, job);
                else job.Run(0, nb);
            }
            finally { (job._tensor, job._col) = ([], []); }
        }

        public void Run(int start, int end)
        {
            if (_toColumns)
            {
                var v = new ToColumns<T>(_tensor, _g.InChannel, _g.Nchw);
                ForEachTap(_col, _g, _b0, start, end, ref v);
            }
            else
            {
                var v = new FromColumns<T>(_tensor, _g.InChannel, _g.Nchw);
                ForEachTap(_col, _g, _b0, start, end, ref v);
            }
        }
    }

    /// <summary>Images [b0, b0 + nb) of an output-side tensor (O channels) from product rows [nb·P, O].</summary>
    private static void RowsToTensor<T>(T[] rows, T[] dst, in Window2D g, int b0, int nb)
    {
        if (!g.Nchw) { Array.Copy(rows, 0, dst, b0 * g.OutImage, nb * g.OutImage); return; }
        for (int b = 0; b < nb; b++)
            for (int p = 0; p < g.P; p++)
                for (int o = 0; o < g.O; o++)
                    dst[(b0 + b) * g.OutImage + o * g.P + p] = rows[(b * g.P + p) * g.O + o];
    }

    /// <summary>Product rows [nb·P, O] from images [b0, b0 + nb) of an output-side tensor.</summary>
    private static void TensorToRows<T>(T[] src, T[] rows, in Window2D g, int b0, int nb)
    {
        if (!g.Nchw) { Array.Copy(src, b0 * g.OutImage, rows, 0, nb * g.OutImage); return; }
        for (int b = 0; b < nb; b++)
            for (int p = 0; p < g.P; p++)
                for (int o = 0; o < g.O; o++)
                    rows[(b * g.P + p) * g.O + o] = src[(b0 + b) * g.OutImage + o * g.P + p];
    }



    /// <summary>Buffers a kernel keeps in its context's scratch from run to run; they only grow.</summary>
    private sealed class Buffers<T>
    {
        public T[] Col = [], Rows = [], Small = [];

        public static Buffers<T> Of(KernelContext ctx) => ctx.Scratch as Buffers<T> ?? (Buffers<T>)(ctx.Scratch = new Buffers<T>());

        public static T[] AtLeast(ref T[] buffer, int n)
        {
            if (buffer.Length < n) buffer = new T[n];
            return buffer;
        }
    }
}
