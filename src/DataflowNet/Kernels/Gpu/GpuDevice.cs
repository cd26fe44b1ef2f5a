using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// A GPU: an ILGPU accelerator, its kernels (Kernels/Gpu), and a memory allowance that really holds. On a machine
/// with CUDA, <see cref="TryCreateCuda"/> gives the real device. <see cref="CreateCpuBacked"/> gives the same device
/// running its kernels on ILGPU's CPU accelerator, so tests exercise every GPU kernel without a GPU; it exists only
/// when asked for. Values cross between the CPU and a GPU only where the plan puts an explicit copy.
/// </summary>
public sealed class GpuDevice : Device, IDisposable
{
    private readonly Context _context;
    private long _used;
    private readonly long _limit;

    private GpuDevice(Context context, Accelerator accelerator, int index, GPUOptions? options)
    {
        _context = context;
        Accelerator = accelerator;
        Name = $"/device:GPU:{index}";
        var total = accelerator.AcceleratorType == AcceleratorType.CPU ? 4L << 30 : accelerator.MemorySize;
        var fraction = options?.PerProcessGpuMemoryFraction ?? 0;
        CheckFraction(fraction);
        _limit = (long)(total * (fraction > 0 ? fraction : 0.95));
        // PublicationOnly: a failure (the context not bindable yet) is not cached for good; TryCreate catches the rest.
        _blas = new Lazy<GpuBlas?>(() => { Bind(); return GpuBlas.TryCreate(accelerator); }, LazyThreadSafetyMode.PublicationOnly);
        Kernels = GpuKernels.Registry(this);
    }

    private readonly Lazy<GpuBlas?> _blas;

    /// <summary>Whether MatMul may use cuBLAS where the machine has it (gpucheck turns it off to check the tiled kernel).</summary>
    internal bool CuBlasEnabled { get; set; } = true;

    /// <summary>The tiling of the GPU's own products (MatMul without cuBLAS, BatchMatMul, convolutions): by shape, or forced by tests.</summary>
    internal GemmTiling GemmTiling { get; set; }

    /// <summary>
    /// The multiprocessors launches are sized for. ILGPU's CPU accelerator reports one; it plans as an H100 (132), so
    /// the tests run the launch shapes a GPU gets.
    /// </summary>
    internal int Multiprocessors => Accelerator is CudaAccelerator ? Accelerator.NumMultiprocessors : 132;

    /// <summary>cuBLAS for MatMul, when enabled, on CUDA, with the library present and working; else null.</summary>
    internal GpuBlas? Blas => CuBlasEnabled && _blas.Value is { Failed: false } blas ? blas : null;

    /// <summary>A memory fraction must be in (0, 1], or 0 for the default.</summary>
    internal static void CheckFraction(double fraction)
    {
        if (fraction is < 0 or > 1 || double.IsNaN(fraction))
            throw new InvalidArgumentException($"PerProcessGpuMemoryFraction must be in (0, 1], got {fraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
    }

    internal Accelerator Accelerator { get; }
    public override string Name { get; }
    public override KernelRegistry Kernels { get; }
    public override long MemoryLimit => _limit;
    // Says cuBLAS only once a MatMul has created it: describing the device (device_lib) loads nothing.
    public override string Description =>
        $"device: {Accelerator.Name} ({Accelerator.AcceleratorType}{(CuBlasEnabled && _blas.IsValueCreated && _blas.Value is { Failed: false } ? ", MatMul by cuBLAS" : "")})";
    /// <summary>Bytes held by live buffers.</summary>
    public long BytesInUse => Interlocked.Read(ref _used);

    private long _allocations;

    /// <summary>Buffers asked of the driver so far (a warm training step asks for none).</summary>
    internal long Allocations => Interlocked.Read(ref _allocations);

    /// <summary>The GPU device over ILGPU's CPU accelerator: for tests, and for users who ask for it explicitly.</summary>
    public static GpuDevice CreateCpuBacked(int index = 0, GPUOptions? options = null)
    {
        CheckFraction(options?.PerProcessGpuMemoryFraction ?? 0); // before a context exists to leak
        // 16x16 thread groups, as the tiled kernels use on a real GPU (ILGPU's default CPU device allows only 16 threads).
        var context = Context.Create(b => b.CPU(new CPUDevice(numThreadsPerWarp: 16, numWarpsPerMultiprocessor: 16, numMultiprocessors: 1)).EnableAlgorithms());
        return new GpuDevice(context, context.CreateCPUAccelerator(0), index, options);
    }

    /// <summary>The CUDA device <paramref name="index"/>, or null when this machine has no CUDA driver or device.</summary>
    public static GpuDevice? TryCreateCuda(int index = 0, GPUOptions? options = null)
    {
        CheckFraction(options?.PerProcessGpuMemoryFraction ?? 0); // before a context exists to leak
        MapLibCuda();
        Context? context = null;
        try
        {
            context = CreateCudaContext();
            var devices = context.GetCudaDevices();
            if (index >= devices.Count) { context.Dispose(); return null; }
            return new GpuDevice(context, devices[index].CreateAccelerator(context), index, options);
        }
        // InvalidOperationException: on WSL ILGPU sets its own library resolver, which clashes with MapLibCuda's.
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or CudaException or NotSupportedException or InvalidOperationException)
        {
            context?.Dispose();
            return null;
        }
        catch
        {
            context?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// ILGPU.Algorithms supplies the math PTX lacks. No LibDevice: the kernels do not call MathF's exp, log or pow
    /// (GpuMath computes them exactly), so a CUDA toolkit on the machine would only make the compiled code depend on
    /// which machine it is; GpuPtxTests compiles exactly this configuration's PTX on every commit.
    /// </summary>
    internal static Context CreateCudaContext() => Context.Create(b => b.Cuda().EnableAlgorithms());

    private static int _mapped;

    /// <summary>ILGPU loads libcuda.so; many Linux machines have only libcuda.so.1 (the driver's soname) without the dev symlink.</summary>
    private static void MapLibCuda()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _mapped, 1) != 0) return;
        // WSL: ILGPU resolves its own libcuda there, and a second resolver on its assembly would throw.
        if (File.Exists("/proc/version") && File.ReadAllText("/proc/version").Contains("microsoft", StringComparison.OrdinalIgnoreCase)) return;
        NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, (name, assembly, path) =>
        {
            if (!name.Contains("cuda", StringComparison.OrdinalIgnoreCase) || name.Contains("nvrtc")) return IntPtr.Zero;
            if (NativeLibrary.TryLoad(name, assembly, path, out var h)) return h;
            return NativeLibrary.TryLoad("libcuda.so.1", out h) ? h : IntPtr.Zero;
        });
        // ILGPU 1.5.3 knows cuBLAS up to 12; CUDA 13's libcublas.so.13 (PyTorch's cu130 wheels bring it) keeps the _v2
        // entry points its bindings call, so where only 13 exists the V12 bindings load it. Another resolver already on
        // that assembly (WSL) leaves cuBLAS as ILGPU finds it.
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(CuBlas).Assembly, (name, assembly, path) =>
                name == "libcublas.so.12" && !NativeLibrary.TryLoad(name, assembly, path, out _) &&
                NativeLibrary.TryLoad("libcublas.so.13", out var h) ? h : IntPtr.Zero);
        }
        catch (InvalidOperationException) { }
    }

    /// <summary>A buffer of <paramref name="count"/> elements, counted against the allowance; the error names the op and the sizes.</summary>
    internal GpuBuffer Allocate(DataType dtype, long count, Operation? op)
    {
        Interlocked.Increment(ref _allocations);
        FreePending();
        var bytes = count * dtype.Size();
        if (Interlocked.Add(ref _used, bytes) > _limit)
        {
            // Buffers only this collector knows are unreachable may be holding the allowance: collect once, retry.
            Interlocked.Add(ref _used, -bytes);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            FreePending();
            if (Interlocked.Add(ref _used, bytes) > _limit)
            {
                Interlocked.Add(ref _used, -bytes);
                throw OutOfMemory(count, dtype, op, $"{BytesInUse} of {_limit} bytes in use.");
            }
        }
        try
        {
            return AllocateFromDriver(() => dtype switch
            {
                DataType.Float32 => new GpuBuffer<float>(this, Accelerator.Allocate1D<float>(count)),
                DataType.Float64 => new GpuBuffer<double>(this, Accelerator.Allocate1D<double>(count)),
                DataType.Int32 => new GpuBuffer<int>(this, Accelerator.Allocate1D<int>(count)),
                DataType.Int64 => new GpuBuffer<long>(this, Accelerator.Allocate1D<long>(count)),
                DataType.Bool => new GpuBuffer<byte>(this, Accelerator.Allocate1D<byte>(count)), // 0 or 1; see GpuBuffer.ToHost
                _ => throw new UnimplementedException($"{Name} holds no {dtype.Name()} tensors."),
            }, count, dtype, op);
        }
        catch
        {
            Interlocked.Add(ref _used, -bytes);
            throw;
        }
    }

    /// <summary>
    /// The driver's allocation, which can fail below the cap: the cap counts only this process's tensors, while the
    /// context, loaded kernels, allocation rounding and other processes use device memory too. A refusal frees what
    /// the collector finds unreachable and tries once more, then is TensorFlow's out-of-memory error, not the driver's.
    /// </summary>
    internal GpuBuffer AllocateFromDriver(Func<GpuBuffer> allocate, long count, DataType dtype, Operation? op)
    {
        try { return allocate(); }
        catch (Exception e) when (e is not DataflowException)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            FreePending();
            try { return allocate(); }
            catch (Exception again) when (again is not DataflowException)
            {
                throw OutOfMemory(count, dtype, op,
                    $"the device refused ({again.GetType().Name}: {again.Message}) with {BytesInUse} bytes of this process's tensors in use.");
            }
        }
    }

    /// <summary>TensorFlow's out-of-memory error for one allocation, naming the op and the sizes, then why.</summary>
    private ResourceExhaustedException OutOfMemory(long count, DataType dtype, Operation? op, string why) =>
        new($"OOM when allocating tensor of {count} {dtype.Name()} elements ({count * dtype.Size()} bytes) on {Name}" +
            (op is null ? "" : $" for op {op.Describe()}") + $": {why}") { Op = op };

    internal void Release(long bytes) => Interlocked.Add(ref _used, -bytes);

    /// <summary>Buffers the finalizer found unreachable, waiting for a thread with this device's context (see ~GpuBuffer).</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<GpuBuffer> _pendingFrees = new();

    internal void FreeLater(GpuBuffer buffer) => _pendingFrees.Enqueue(buffer);

    /// <summary>How many collected buffers wait to be freed (their bytes still count as in use).</summary>
    internal int PendingFrees => _pendingFrees.Count;

    /// <summary>Frees the buffers the finalizer queued, on this thread with the context bound.</summary>
    internal void FreePending()
    {
        if (_pendingFrees.IsEmpty) return;
        Bind();
        while (_pendingFrees.TryDequeue(out var buffer)) buffer.Free();
    }

    /// <summary>
    /// Makes this device's context current on the calling thread: a session may run (and fetch) on any thread, and
    /// CUDA calls act on the thread's current context. Cheap when it already is.
    /// </summary>
    internal void Bind()
    {
        if (!ReferenceEquals(ILGPU.Runtime.Accelerator.Current, Accelerator)) Accelerator.Bind();
    }

    public override void Synchronize()
    {
        Bind();
        Accelerator.Synchronize();
    }

    /// <summary>The value copied to this device.</summary>
    internal TensorValue Upload(TensorValue host, Operation? op)
    {
        var buffer = Allocate(host.dtype, host.size, op);
        buffer.CopyFromHost(host);
        return new TensorValue(host.dtype, (int[])host.Dims.Clone(), buffer);
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Freed on this thread with the context current, after the queued kernels; after a device fault every step
        // may fail, and the context is still destroyed.
        try
        {
            Bind();
            Accelerator.Synchronize();
        }
        catch (Exception e) when (e is not OutOfMemoryException) { }
        try { FreePending(); } catch (Exception e) when (e is not OutOfMemoryException) { }
        if (_blas.IsValueCreated)
            try { _blas.Value?.Dispose(); } catch (Exception e) when (e is not OutOfMemoryException) { }
        Accelerator.Dispose();
        _context.Dispose();
    }
}
