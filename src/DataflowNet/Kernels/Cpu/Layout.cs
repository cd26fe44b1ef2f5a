namespace DataflowNet.Kernels.Cpu;

/// <summary>Element movement shared by the array kernels: permutation and strided (sliced) copies, for any element type.</summary>
internal static class Layout
{
    /// <summary>Transposes <paramref name="src"/> (shape <paramref name="dims"/>) by <paramref name="perm"/>.</summary>
    public static T[] Permute<T>(T[] src, int[] dims, int[] perm)
    {
        int rank = dims.Length;
        var dst = new T[src.Length];
        if (src.Length == 0) return dst;
        bool identity = true;
        for (int i = 0; i < rank; i++) identity &= perm[i] == i;
        if (identity) { Array.Copy(src, dst, src.Length); return dst; }
        var srcStrides = ShapeUtil.Strides(dims);
        var outDims = new int[rank];
        var strides = new int[rank];
        for (int i = 0; i < rank; i++) { outDims[i] = dims[perm[i]]; strides[i] = srcStrides[perm[i]]; }
        int inner = outDims[^1], innerStride = strides[^1];
        var idx = new int[rank];
        for (int o = 0; o < dst.Length; o += inner)
        {
            int s = 0;
            for (int k = 0; k < rank - 1; k++) s += idx[k] * strides[k];
            for (int j = 0; j < inner; j++, s += innerStride) dst[o + j] = src[s];
            for (int k = rank - 2; k >= 0; k--)
            {
                if (++idx[k] < outDims[k]) break;
                idx[k] = 0;
            }
        }
        return dst;
    }

    /// <summary>dst[i0, i1, …] = src[starts[0] + i0·steps[0], …] for i_k &lt; counts[k].</summary>
    public static T[] StridedCopy<T>(T[] src, int[] dims, int[] starts, int[] steps, int[] counts)
    {
        int n = ShapeUtil.Count(counts);
        var dst = new T[n];
        if (n == 0) return dst;
        int rank = dims.Length;
        if (rank == 0) { dst[0] = src[0]; return dst; }
        var strides = ShapeUtil.Strides(dims);
        int inner = counts[^1], innerStep = steps[^1];
        var idx = new int[rank];
        for (int o = 0; o < n; o += inner)
        {
            int s = 0;
            for (int k = 0; k < rank; k++) s += (starts[k] + (k < rank - 1 ? idx[k] * steps[k] : 0)) * strides[k];
            if (innerStep == 1) Array.Copy(src, s, dst, o, inner);
            else for (int j = 0; j < inner; j++) dst[o + j] = src[s + j * innerStep];
            for (int k = rank - 2; k >= 0; k--)
            {
                if (++idx[k] < counts[k]) break;
                idx[k] = 0;
            }
        }
        return dst;
    }

    /// <summary>Splits <paramref name="dims"/> around <paramref name="axis"/>: elements before, the axis, elements after.</summary>
    public static (int Outer, int Axis, int Inner) Around(int[] dims, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        for (int i = axis + 1; i < dims.Length; i++) inner *= dims[i];
        return (outer, dims[axis], inner);
    }
}
