namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// NumPy broadcasting at run time. The binary driver walks the output in contiguous innermost runs and hands
/// each run to an operator as span-span, span-scalar or scalar-span, so vectorized TensorPrimitives calls do the work.
/// Shapes are worked out in stack memory: a warm run allocates nothing here.
/// </summary>
internal static class Broadcasting
{
    public const int MaxRank = 16;

    /// <summary>The broadcast of two shapes, written into <paramref name="result"/> (length max(rank)).</summary>
    public static void Shape(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> result, Func<string, Exception> error)
    {
        int rank = result.Length;
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw error($"Incompatible shapes: {TensorShape.Format(a)} vs. {TensorShape.Format(b)}");
            result[i] = da == 1 ? db : da;
        }
    }

    public static int[] Shape(int[] a, int[] b, Func<string, Exception> error)
    {
        var dims = new int[Math.Max(a.Length, b.Length)];
        Shape(a, b, dims, error);
        return dims;
    }

    /// <summary>Element strides of <paramref name="dims"/> seen as <paramref name="outDims"/>: 0 on broadcast axes.</summary>
    public static void Strides(ReadOnlySpan<int> dims, ReadOnlySpan<int> outDims, Span<int> strides)
    {
        int acc = 1;
        for (int i = outDims.Length - 1; i >= 0; i--)
        {
            int k = i - (outDims.Length - dims.Length);
            int d = k >= 0 ? dims[k] : 1;
            strides[i] = d == 1 ? 0 : acc;
            acc *= d;
        }
    }

    /// <summary>A copy of <paramref name="src"/> expanded to <paramref name="outDims"/> (the source itself when nothing expands).</summary>
    public static T[] To<T>(T[] src, int[] dims, int[] outDims)
    {
        if (dims.AsSpan().SequenceEqual(outDims)) return src;
        var dst = new T[ShapeUtil.Count(outDims)];
        Into(src, dims, dst, outDims);
        return dst;
    }

    /// <summary>Writes <paramref name="src"/> expanded to <paramref name="outDims"/> into <paramref name="dst"/>.</summary>
    public static void Into<T>(T[] src, ReadOnlySpan<int> dims, T[] dst, ReadOnlySpan<int> outDims)
    {
        int n = dst.Length;
        if (n == 0) return;
        if (src.Length == 1) { Array.Fill(dst, src[0]); return; }
        if (src.Length == n) { Array.Copy(src, dst, n); return; }
        int rank = outDims.Length;
        Span<int> strides = stackalloc int[rank];
        Strides(dims, outDims, strides);
        Span<int> idx = stackalloc int[rank];
        int inner = outDims[rank - 1], innerStride = strides[rank - 1];
        for (int o = 0; o < n; o += inner)
        {
            int s = 0;
            for (int k = 0; k < rank - 1; k++) s += idx[k] * strides[k];
            if (innerStride == 1) Array.Copy(src, s, dst, o, inner);
            else Array.Fill(dst, src[s], o, inner);
            for (int k = rank - 2; k >= 0; k--)
            {
                if (++idx[k] < outDims[k]) break;
                idx[k] = 0;
            }
        }
    }

    /// <summary>Runs <paramref name="op"/> over the broadcast of x and y into d, one contiguous run at a time.</summary>
    public static void Run<TIn, TOut, TOp>(TIn[] x, int[] xDims, TIn[] y, int[] yDims, TOut[] d, ReadOnlySpan<int> outDims, ref TOp op)
        where TOp : struct, IRunOperator<TIn, TOut>
    {
        if (d.Length == 0) return;
        if (xDims.AsSpan().SequenceEqual(yDims)) { op.VV(x, y, d); return; }
        if (y.Length == 1 && x.Length == d.Length) { op.VS(x, y[0], d); return; }
        if (x.Length == 1 && y.Length == d.Length) { op.SV(x[0], y, d); return; }

        // Collapse adjacent output axes that broadcast the same way, so runs are as long as possible.
        int outRank = outDims.Length;
        Span<int> xs = stackalloc int[outRank];
        Span<int> ys = stackalloc int[outRank];
        Strides(xDims, outDims, xs);
        Strides(yDims, outDims, ys);
        Span<int> dims = stackalloc int[outRank];
        Span<bool> xBroadcast = stackalloc bool[outRank];
        Span<bool> yBroadcast = stackalloc bool[outRank];
        int rank = 0;
        for (int i = 0; i < outRank; i++)
        {
            if (outDims[i] == 1) continue;
            bool bx = xs[i] == 0, by = ys[i] == 0;
            if (rank > 0 && xBroadcast[rank - 1] == bx && yBroadcast[rank - 1] == by) { dims[rank - 1] *= outDims[i]; continue; }
            dims[rank] = outDims[i];
            xBroadcast[rank] = bx;
            yBroadcast[rank] = by;
            rank++;
        }
        // Strides of the merged axes: each input is dense over the axes it does not broadcast.
        Span<int> xStride = stackalloc int[rank];
        Span<int> yStride = stackalloc int[rank];
        int ax = 1, ay = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            xStride[i] = xBroadcast[i] ? 0 : ax;
            yStride[i] = yBroadcast[i] ? 0 : ay;
            if (!xBroadcast[i]) ax *= dims[i];
            if (!yBroadcast[i]) ay *= dims[i];
        }
        int inner = dims[rank - 1];
        Span<int> idx = stackalloc int[rank];
        for (int o = 0; o < d.Length; o += inner)
        {
            int xo = 0, yo = 0;
            for (int k = 0; k < rank - 1; k++) { xo += idx[k] * xStride[k]; yo += idx[k] * yStride[k]; }
            var dst = d.AsSpan(o, inner);
            if (xStride[rank - 1] != 0 && yStride[rank - 1] != 0) op.VV(x.AsSpan(xo, inner), y.AsSpan(yo, inner), dst);
            else if (xStride[rank - 1] != 0) op.VS(x.AsSpan(xo, inner), y[yo], dst);
            else op.SV(x[xo], y.AsSpan(yo, inner), dst);
            for (int k = rank - 2; k >= 0; k--)
            {
                if (++idx[k] < dims[k]) break;
                idx[k] = 0;
            }
        }
    }
}

/// <summary>A binary operator applied to one contiguous run: vector-vector, vector-scalar or scalar-vector.</summary>
internal interface IRunOperator<TIn, TOut>
{
    void VV(ReadOnlySpan<TIn> x, ReadOnlySpan<TIn> y, Span<TOut> d);
    void VS(ReadOnlySpan<TIn> x, TIn y, Span<TOut> d);
    void SV(TIn x, ReadOnlySpan<TIn> y, Span<TOut> d);
}
