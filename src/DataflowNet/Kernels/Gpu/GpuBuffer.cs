using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// The device memory behind a GPU-resident <see cref="TensorValue"/>: one dense ILGPU buffer. Its bytes count
/// against the device's memory cap until it is collected or disposed.
/// </summary>
internal abstract class GpuBuffer : IDisposable
{
    protected GpuBuffer(GpuDevice device, long bytes)
    {
        Device = device;
        Bytes = bytes;
    }

    public GpuDevice Device { get; }
    public long Bytes { get; }
    private int _disposed;

    /// <summary>A host copy (waits for the kernels that write this buffer).</summary>
    public abstract TensorValue ToHost(DataType dtype, int[] dims);

    /// <summary>Copies a host value of the same element count in.</summary>
    public abstract void CopyFromHost(TensorValue host);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Device.Bind();
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the device memory now: on a thread with the device's context bound.</summary>
    internal void Free()
    {
        try { DisposeBuffer(); }
        finally { Device.Release(Bytes); } // a driver that fails the free (after a device fault) still gives the cap back
    }

    ~GpuBuffer()
    {
        // Frames and fetches drop values without disposing them. Freeing on the finalizer thread would need the
        // context bound there and a device-wide wait, so the buffer goes to the device's queue (which keeps it alive)
        // and is freed by the next allocation, on a thread that binds the context.
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Device.FreeLater(this);
    }

    protected abstract void DisposeBuffer();
}

internal sealed class GpuBuffer<T> : GpuBuffer where T : unmanaged
{
    public GpuBuffer(GpuDevice device, MemoryBuffer1D<T, Stride1D.Dense> buffer) : base(device, buffer.LengthInBytes)
    {
        Buffer = buffer;
        // This wrapper frees the ILGPU buffer, from a thread with the context bound (see ~GpuBuffer), not ILGPU's
        // finalizers on the finalizer thread: neither the typed wrapper's nor the raw device buffer's under it, whose
        // cuMemFree there (no context current) would fail silently and leak the memory while the cap counted it freed.
        GC.SuppressFinalize(buffer);
        GC.SuppressFinalize(((IArrayView)buffer.View).Buffer);
    }

    public MemoryBuffer1D<T, Stride1D.Dense> Buffer { get; }
    public ArrayView1D<T, Stride1D.Dense> View => Buffer.View;

    public override TensorValue ToHost(DataType dtype, int[] dims)
    {
        Device.Bind();
        Device.Accelerator.Synchronize();
        var data = Buffer.GetAsArray1D();
        // Bools live on the device as bytes (0 or 1): ILGPU kernels load and store bytes, not .NET bools.
        if (dtype == DataType.Bool) return new TensorValue(dtype, (int[])dims.Clone(), MemoryMarshal.Cast<T, bool>(data).ToArray());
        return new TensorValue(dtype, (int[])dims.Clone(), data);
    }

    public override void CopyFromHost(TensorValue host)
    {
        if (host.Data is bool[] bools) Buffer.View.CopyFromCPU(MemoryMarshal.Cast<bool, T>(bools).ToArray());
        else Buffer.View.CopyFromCPU((T[])host.Data);
    }

    protected override void DisposeBuffer() => Buffer.Dispose();
}
