namespace DataflowNet;

/// <summary>
/// Session options, as TensorFlow 1's <c>tf.ConfigProto</c>: <c>new ConfigProto { AllowSoftPlacement = true }</c>
/// or <c>tf.ConfigProto(allow_soft_placement: true)</c>.
/// </summary>
public sealed class ConfigProto
{
    /// <summary>An op pinned to a device that cannot run it (no such device, or no kernel there) runs where it can instead of failing.</summary>
    public bool AllowSoftPlacement { get; set; }
    /// <summary>Prints each op's device, in TensorFlow's form, when a plan is first built (to <see cref="Log.Writer"/>).</summary>
    public bool LogDevicePlacement { get; set; }
    public GPUOptions GpuOptions { get; set; } = new();
    /// <summary>
    /// The most devices of each type ("GPU", "CPU") the session uses, as TensorFlow's <c>device_count</c>:
    /// <c>{ ["GPU"] = 0 }</c> keeps a session on the CPU on a machine with GPUs. The CPU is always kept.
    /// </summary>
    public IReadOnlyDictionary<string, int>? DeviceCount { get; set; }
    /// <summary>
    /// DataflowNet's addition: the devices this session may place ops on (GPUs first), instead of every local device.
    /// How tests and users run on a <see cref="Kernels.Gpu.GpuDevice"/> over ILGPU's CPU accelerator.
    /// </summary>
    public IReadOnlyList<Device>? Devices { get; set; }
}

/// <summary>GPU memory options, as TensorFlow's <c>GPUOptions</c>.</summary>
public sealed class GPUOptions
{
    /// <summary>The fraction (0, 1] of each GPU's memory the session may use; 0 means TensorFlow's default (almost all).</summary>
    public double PerProcessGpuMemoryFraction { get; set; }
    /// <summary>
    /// TensorFlow's switch between reserving the allowance up front and taking memory as needed. DataflowNet always
    /// takes it as needed (the allowance is a cap, never reserved), so either value behaves as TensorFlow's true.
    /// </summary>
    public bool AllowGrowth { get; set; }
}

public static partial class tf
{
    public static ConfigProto ConfigProto(bool allow_soft_placement = false, bool log_device_placement = false, GPUOptions? gpu_options = null,
                                          IReadOnlyDictionary<string, int>? device_count = null) =>
        new()
        {
            AllowSoftPlacement = allow_soft_placement, LogDevicePlacement = log_device_placement, GpuOptions = gpu_options ?? new GPUOptions(),
            DeviceCount = device_count,
        };

    public static GPUOptions GPUOptions(double per_process_gpu_memory_fraction = 0, bool allow_growth = false) =>
        new() { PerProcessGpuMemoryFraction = per_process_gpu_memory_fraction, AllowGrowth = allow_growth };
}
