using System.Globalization;
using DataflowNet.Kernels.Gpu;

namespace DataflowNet;

/// <summary>
/// The devices this process can place ops on, in placement preference order (GPUs before the CPU). Today that is
/// the CPU plus each CUDA GPU ILGPU finds; a GPU device over ILGPU's CPU accelerator is never listed unless
/// registered explicitly.
/// </summary>
public static class LocalDevices
{
    private static readonly List<Device> Registered = [CpuDevice.Instance];
    private static readonly Lock ProbeGate = new();
    private static bool _probed;
    /// <summary>The memory fraction the GPUs found were set up with (0: the default).</summary>
    private static double _fraction;
    private static readonly List<GpuDevice> Found = [];

    /// <summary>
    /// Every local device, GPUs first: the first call looks for CUDA GPUs and lists each one found (as TensorFlow,
    /// <c>CUDA_VISIBLE_DEVICES</c> chooses which the driver shows; empty hides them all). tests/DataflowNet.GpuCheck
    /// checks the GPU kernels on a real GPU against the CPU device.
    /// </summary>
    public static IReadOnlyList<Device> All => For(null);

    /// <summary>
    /// The local devices for a session with these GPU options. As in TensorFlow, GPUs are set up once per process, by
    /// the first session (or device listing) that looks for them, with its options: its
    /// <see cref="GPUOptions.PerProcessGpuMemoryFraction"/> caps each GPU from then on. A later session asking for
    /// another fraction runs under the one in effect, and the log says so.
    /// </summary>
    internal static IReadOnlyList<Device> For(GPUOptions? options)
    {
        lock (ProbeGate)
        {
            double fraction = options?.PerProcessGpuMemoryFraction ?? 0;
            if (!_probed)
            {
                // A bad option fails this session and leaves the GPUs to be set up by the next one, none half made.
                GpuDevice.CheckFraction(fraction);
                try
                {
                    for (int i = 0; FindGpu(i, options) is { } gpu; i++)
                    {
                        Register(gpu);
                        Found.Add(gpu);
                    }
                }
                catch
                {
                    ForgetFound();
                    throw;
                }
                _probed = true;
                _fraction = fraction;
            }
            else if (Found.Count > 0 && fraction > 0 && fraction != _fraction)
                Log.Warning(string.Create(CultureInfo.InvariantCulture,
                    $"GPUOptions.PerProcessGpuMemoryFraction = {fraction} is not applied: this process's GPUs were set up by an earlier session with ") +
                    (_fraction > 0 ? _fraction.ToString(CultureInfo.InvariantCulture) : "the default") +
                    $" ({string.Join(", ", Found.Select(g => $"{g.Name}: {g.MemoryLimit} bytes"))}).");
        }
        lock (Registered) return Registered.ToArray();
    }

    /// <summary>GPU number <c>i</c> with these options, or null past the last (or without a CUDA driver).</summary>
    internal static Func<int, GPUOptions?, GpuDevice?> FindGpu = (i, options) => OpenGpu(i, options, GpuDevice.TryCreateCuda);

    /// <summary>
    /// GPU <c>i</c> as <paramref name="open"/> gives it (CUDA's). A driver that is there but cannot be used (too old for ILGPU's entry points, a broken
    /// install) leaves the process on the CPU with a warning, as TensorFlow goes on without the GPUs it cannot open,
    /// rather than failing every session; a bad option (the memory fraction) still fails its session.
    /// </summary>
    internal static GpuDevice? OpenGpu(int i, GPUOptions? options, Func<int, GPUOptions?, GpuDevice?> open)
    {
        GpuDevice.CheckFraction(options?.PerProcessGpuMemoryFraction ?? 0);
        try { return open(i, options); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.Warning($"CUDA GPU {i} could not be opened ({e.GetType().Name}: {e.Message.Split('\n')[0]}); ops run on the CPU.");
            return null;
        }
    }

    /// <summary>Forgets (and disposes) the GPUs found, for tests that probe again with another <see cref="FindGpu"/>.</summary>
    internal static void ResetProbe()
    {
        lock (ProbeGate)
        {
            ForgetFound();
            _probed = false;
            _fraction = 0;
        }
    }

    private static void ForgetFound()
    {
        foreach (var gpu in Found)
        {
            Unregister(gpu);
            gpu.Dispose();
        }
        Found.Clear();
    }

    /// <summary>Adds a device (a GPU) ahead of the CPU in placement preference.</summary>
    public static void Register(Device device)
    {
        lock (Registered)
        {
            if (Registered.Any(d => d.Name == device.Name))
                throw new InvalidArgumentException($"A device named {device.Name} is already registered.");
            Registered.Insert(Registered.Count - 1, device);
        }
    }

    internal static void Unregister(Device device)
    {
        lock (Registered) Registered.Remove(device);
    }
}

/// <summary>A device as <c>tf.config.list_physical_devices</c> reports it.</summary>
public sealed record PhysicalDevice(string name, string device_type);

/// <summary>A device as TensorFlow 1's <c>device_lib.list_local_devices()</c> reports it.</summary>
public sealed record DeviceAttributes(string name, string device_type, long memory_limit, string physical_device_desc);

/// <summary>TensorFlow 1's <c>tensorflow.python.client.device_lib</c>.</summary>
public static class device_lib
{
    public static List<DeviceAttributes> list_local_devices() =>
        LocalDevices.All.Reverse().Select(d => new DeviceAttributes(d.Name, d.DeviceType, d.MemoryLimit, d.Description)).ToList();
}

public static partial class tf
{
    public static partial class config
    {
        /// <summary>The devices of one type ("CPU", "GPU"), or all of them: /physical_device:CPU:0…</summary>
        public static List<PhysicalDevice> list_physical_devices(string? device_type = null) =>
            LocalDevices.All.Reverse()
                .Where(d => device_type is null || string.Equals(d.DeviceType, device_type, StringComparison.OrdinalIgnoreCase))
                .Select(d => new PhysicalDevice(d.Name.Replace("/device:", "/physical_device:"), d.DeviceType)).ToList();
    }
}
