using DataflowNet.Kernels.Gpu;
using ILGPU.Runtime.Cuda;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// cuBLAS for MatMul is optional and needs CUDA, so here: the column-major SGEMM call it makes, run through a
/// reference SGEMM written from the BLAS definition, gives the row-major product for every transpose; and without
/// CUDA the device has no cuBLAS (MatMul uses the tiled kernel, which the op suites run on the GPU device).
/// </summary>
public class GpuBlasTests : GpuTest
{
    [Test]
    public void TheColumnMajorCallComputesTheRowMajorProduct([Values] bool transposeA, [Values] bool transposeB)
    {
        const int m = 5, n = 7, k = 3;
        var rng = new Random(1);
        // op(a) is [m, k] and op(b) is [k, n]; stored transposed where the flag says so, row-major.
        var opA = new float[m, k];
        var opB = new float[k, n];
        for (int i = 0; i < m; i++) for (int l = 0; l < k; l++) opA[i, l] = rng.Next(-9, 10);
        for (int l = 0; l < k; l++) for (int j = 0; j < n; j++) opB[l, j] = rng.Next(-9, 10);
        var a = transposeA ? RowMajor(k, m, (r, s) => opA[s, r]) : RowMajor(m, k, (r, s) => opA[r, s]);
        var b = transposeB ? RowMajor(n, k, (r, s) => opB[s, r]) : RowMajor(k, n, (r, s) => opB[r, s]);
        var expected = RowMajor(m, n, (i, j) => Enumerable.Range(0, k).Sum(l => opA[i, l] * opB[l, j]));

        var call = SgemmCall.For(m, n, k, transposeA, transposeB);
        var c = Enumerable.Repeat(float.NaN, m * n).ToArray(); // beta = 0: what c held is never read
        ReferenceSgemm(call, 1f, b, a, 0f, c);
        Assert.That(c, Is.EqualTo(expected));
    }

    [Test]
    public void LeadingDimensionsStayPositiveForAnEmptyInnerDimension()
    {
        // cuBLAS refuses a leading dimension under 1; a [3, 0] x [0, 4] product is a valid MatMul.
        foreach (var (ta, tb) in new[] { (false, false), (true, true), (true, false), (false, true) })
        {
            var call = SgemmCall.For(3, 4, 0, ta, tb);
            Assert.That(new[] { call.Lda, call.Ldb, call.Ldc }, Has.All.GreaterThanOrEqualTo(1), $"transpose_a={ta}, transpose_b={tb}");
        }
    }

    [Test]
    public void WithoutCudaTheDeviceHasNoCuBlas()
    {
        Assert.That(Gpu.Blas, Is.Null);
        Assert.That(GpuBlas.TryCreate(Gpu.Accelerator), Is.Null);
        Assert.That(Gpu.Description, Does.Not.Contain("cuBLAS"));
    }

    private static float[] RowMajor(int rows, int columns, Func<int, int, float> at)
    {
        var x = new float[rows * columns];
        for (int r = 0; r < rows; r++) for (int s = 0; s < columns; s++) x[r * columns + s] = at(r, s);
        return x;
    }

    /// <summary>BLAS SGEMM, column-major: C = alpha·op(A)·op(B) + beta·C, element (i, j) of X at X[i + j·ldx].</summary>
    private static void ReferenceSgemm(SgemmCall g, float alpha, float[] a, float[] b, float beta, float[] c)
    {
        float A(int i, int l) => g.TransA == CuBlasOperation.NonTranspose ? a[i + l * g.Lda] : a[l + i * g.Lda];
        float B(int l, int j) => g.TransB == CuBlasOperation.NonTranspose ? b[l + j * g.Ldb] : b[j + l * g.Ldb];
        for (int j = 0; j < g.N; j++)
            for (int i = 0; i < g.M; i++)
            {
                float sum = 0;
                for (int l = 0; l < g.K; l++) sum += A(i, l) * B(l, j);
                c[i + j * g.Ldc] = alpha * sum + (beta == 0 ? 0 : beta * c[i + j * g.Ldc]);
            }
    }
}
