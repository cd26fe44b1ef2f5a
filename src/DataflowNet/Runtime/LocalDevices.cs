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
    private static int _probed;

    /// <summary>
    /// Every local device, GPUs first. With DATAFLOWNET_GPU=1 the first call looks for CUDA GPUs and lists them.
    /// Opt-in until the GPU kernels have been checked on a real GPU (tests/DataflowNet.GpuCheck): so far they have run
    /// only on ILGPU's CPU accelerator.
    /// </summary>
    public static IReadOnlyList<Device> All
    {
        get
        {
            if (Interlocked.Exchange(ref _probed, 1) == 0 && Environment.GetEnvironmentVariable("DATAFLOWNET_GPU") == "1")
                for (int i = 0; GpuDevice.TryCreateCuda(i) is { } gpu; i++) Register(gpu);
            lock (Registered) return Registered.ToArray();
        }
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
