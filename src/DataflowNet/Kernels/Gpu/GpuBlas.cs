using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// cuBLAS's SGEMM for MatMul, where the machine has it (libcublas.so.12, .11 or .10 on the loader's path): optional,
/// the tiled kernel (GpuMatMulKernels) serves everywhere else and wherever cuBLAS fails. Full float32 math (no TF32),
/// as the CPU and PyTorch's default; on the accelerator's default stream, so it is ordered with ILGPU's kernels.
/// </summary>
internal sealed class GpuBlas : IDisposable
{
    private readonly CuBlas _blas;
    private volatile bool _failed;

    private GpuBlas(CuBlas blas) => _blas = blas;

    /// <summary>cuBLAS on <paramref name="accelerator"/>, or null without CUDA, without the library, or with DATAFLOWNET_CUBLAS=0.</summary>
    public static GpuBlas? TryCreate(Accelerator accelerator)
    {
        if (accelerator is not CudaAccelerator cuda || Environment.GetEnvironmentVariable("DATAFLOWNET_CUBLAS") == "0") return null;
        CuBlas? blas = null;
        try
        {
            blas = new CuBlas(cuda);
            blas.PointerMode = CuBlasPointerMode.Host;
            blas.MathMode = CuBlasMathMode.DefaultMath;
            blas.Stream = (CudaStream)cuda.DefaultStream;
            return new GpuBlas(blas);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            try { blas?.Dispose(); } catch (Exception again) when (again is not OutOfMemoryException) { }
            return null; // no cuBLAS library, or one this ILGPU cannot drive: the tiled kernel it is
        }
    }

    /// <summary>Whether a call has failed (the device then uses its own kernel from there on).</summary>
    public bool Failed => _failed;

    /// <summary>
    /// Row-major c[m, n] = op(a) · op(b), or false when cuBLAS refused (nothing written). cuBLAS is column-major: a
    /// row-major matrix is, in place, the column-major transpose, so it computes cᵀ = op(b)ᵀ · op(a)ᵀ.
    /// </summary>
    public bool TryMatMul(V a, V b, V c, int m, int n, int k, bool transposeA, bool transposeB)
    {
        if (_failed) return false;
        try
        {
            var g = SgemmCall.For(m, n, k, transposeA, transposeB);
            _blas.Gemm(g.TransA, g.TransB, g.M, g.N, g.K, 1f, b, g.Lda, a, g.Ldb, 0f, c, g.Ldc);
            return true;
        }
        catch (CuBlasException)
        {
            _failed = true;
            return false;
        }
    }

    public void Dispose() => _blas.Dispose();
}

/// <summary>
/// The column-major SGEMM that computes a row-major product c[m, n] = op(a) · op(b): cᵀ = op(b)ᵀ · op(a)ᵀ, so
/// SGEMM's A is our b and its B our a. A row-major [r, s] matrix is, in place, a column-major [s, r] one with leading
/// dimension s. (Tested against a reference SGEMM written from the BLAS definition: GpuBlasTests.)
/// </summary>
internal readonly record struct SgemmCall(CuBlasOperation TransA, CuBlasOperation TransB, int M, int N, int K, int Lda, int Ldb, int Ldc)
{
    public static SgemmCall For(int m, int n, int k, bool transposeA, bool transposeB) => new(
        transposeB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
        transposeA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
        M: n, N: m, K: k,
        Lda: Math.Max(1, transposeB ? k : n), // b stored [k, n], or [n, k] when transposed
        Ldb: Math.Max(1, transposeA ? m : k), // a stored [m, k], or [k, m] when transposed
        Ldc: n);
}
