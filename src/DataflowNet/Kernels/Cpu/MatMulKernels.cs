using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// MatMul and BatchMatMulV2. float32 and float64 go to the blocked <see cref="Gemm"/>, which reads transposed
/// operands in place; other dtypes use <see cref="Reference"/>, the plain i-k-j loop.
/// </summary>
internal static class MatMulKernels
{
    private const long ParallelThreshold = 1 << 18;

    public static void Register(KernelRegistry r)
    {
        r.Register("MatMul", DataTypeExtensions.Numeric, ctx =>
        {
            var action = new MatMulAction(ctx, batched: false);
            TypeSwitch.Numeric(ctx.Input(0).dtype, ref action);
        });
        r.Register("BatchMatMulV2", DataTypeExtensions.Numeric, ctx =>
        {
            var action = new MatMulAction(ctx, batched: true);
            TypeSwitch.Numeric(ctx.Input(0).dtype, ref action);
        });
    }

    private readonly struct MatMulAction(KernelContext ctx, bool batched) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var a = ctx.Input(0);
            var b = ctx.Input(1);
            bool ta = ctx.Attr<bool>(batched ? "adj_x" : "transpose_a");
            bool tb = ctx.Attr<bool>(batched ? "adj_y" : "transpose_b");
            if (!batched)
            {
                var (m, k, n) = Dims(a.Dims, b.Dims, ta, tb);
                // The blocked product overwrites C; the reference loop clears each row itself.
                var c = ctx.AllocateUninitializedOutput(0, [m, n]).Buffer<T>();
                if (Gemm.Supports<T>())
                    Gemm.Multiply<T>(a.Buffer<T>(), ta, b.Buffer<T>(), tb, c, m, k, n);
                else
                    Reference(Prepare<T>(a.Buffer<T>(), a.Dims[0], a.Dims[1], ta), Prepare<T>(b.Buffer<T>(), b.Dims[0], b.Dims[1], tb), c, m, k, n);
                return;
            }
            var (bm, bk, bn) = Dims(a.Dims[^2..], b.Dims[^2..], ta, tb);
            var batchA = a.Dims[..^2];
            var batchB = b.Dims[..^2];
            var batch = Broadcasting.Shape(batchA, batchB, ctx.Errors);
            var outDims = batch.Append(bm).Append(bn).ToArray();
            var cAll = ctx.AllocateOutput(0, outDims).Buffer<T>();
            int count = ShapeUtil.Count(batch);
            // Map each output batch index to the (possibly broadcast) batch index of each input.
            var idxA = BatchIndex(batchA, batch);
            var idxB = BatchIndex(batchB, batch);
            int sa = a.Dims[^2] * a.Dims[^1], sb = b.Dims[^2] * b.Dims[^1];
            if (Gemm.Supports<T>())
            {
                for (int i = 0; i < count; i++)
                    Gemm.Multiply<T>(a.Buffer<T>().AsSpan(idxA[i] * sa, sa), ta, b.Buffer<T>().AsSpan(idxB[i] * sb, sb), tb,
                        cAll.AsSpan(i * bm * bn, bm * bn), bm, bk, bn);
                return;
            }
            for (int i = 0; i < count; i++)
            {
                var ai = Prepare<T>(a.Buffer<T>().AsSpan(idxA[i] * sa, sa).ToArray(), a.Dims[^2], a.Dims[^1], ta);
                var bi = Prepare<T>(b.Buffer<T>().AsSpan(idxB[i] * sb, sb).ToArray(), b.Dims[^2], b.Dims[^1], tb);
                var ci = new T[bm * bn];
                Reference(ai, bi, ci, bm, bk, bn);
                Array.Copy(ci, 0, cAll, i * bm * bn, ci.Length);
            }
        }

        private (int M, int K, int N) Dims(int[] a, int[] b, bool ta, bool tb) => MatMulKernels.Dims(a, b, ta, tb, ctx.Errors);
    }

    /// <summary>(m, k, n) of op(a)·op(b) for matrices a and b; incompatible inner dimensions are reported through <paramref name="error"/>.</summary>
    internal static (int M, int K, int N) Dims(int[] a, int[] b, bool ta, bool tb, Func<string, Exception> error)
    {
        int m = ta ? a[1] : a[0], ka = ta ? a[0] : a[1], kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
        if (ka != kb)
            throw error($"Matrix size-incompatible: In[0]: {TensorShape.Format(a)}, In[1]: {TensorShape.Format(b)} (transpose_a={ta}, transpose_b={tb}).");
        return (m, ka, n);
    }

    private static int[] BatchIndex(int[] dims, int[] outDims)
    {
        int n = ShapeUtil.Count(outDims);
        var idx = Enumerable.Range(0, Math.Max(dims.Length == 0 ? 1 : ShapeUtil.Count(dims), 1)).ToArray();
        return dims.Length == 0 ? new int[n] : Broadcasting.To(idx, dims, outDims);
    }

    /// <summary>The matrix in row-major [rows, cols] as used (transposed when asked).</summary>
    private static T[] Prepare<T>(T[] m, int rows, int cols, bool transpose) =>
        transpose ? Layout.Permute(m, [rows, cols], [1, 0]) : m;

    /// <summary>C[m,n] = A[m,k] · B[k,n], all row-major: the simple i-k-j product, also the tests' reference for <see cref="Gemm"/>.</summary>
    internal static void Reference<T>(T[] a, T[] b, T[] c, int m, int k, int n) where T : unmanaged, INumber<T>
    {
        if ((long)m * k * n >= ParallelThreshold && m > 1)
            Parallel.For(0, m, i => Row(a, b, c, i, k, n));
        else
            for (int i = 0; i < m; i++) Row(a, b, c, i, k, n);
    }

    private static void Row<T>(T[] a, T[] b, T[] c, int i, int k, int n) where T : unmanaged, INumber<T>
    {
        var row = c.AsSpan(i * n, n);
        row.Clear();
        for (int p = 0; p < k; p++)
        {
            var s = a[i * k + p];
            // Skipping a zero is exact only for integers: for floats 0·∞ and 0·NaN are NaN and must reach the result.
            if (T.IsZero(s) && typeof(T) != typeof(float) && typeof(T) != typeof(double)) continue;
            TP.MultiplyAdd(b.AsSpan(p * n, n), s, row, row);
        }
    }
}
