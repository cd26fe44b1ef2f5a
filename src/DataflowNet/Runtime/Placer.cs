namespace DataflowNet;

/// <summary>
/// Chooses a device for each op of a plan, as TensorFlow's placer does: an op pinned with <c>tf.device</c> goes
/// there; an unpinned op goes to the first device (GPUs before the CPU) that has a kernel for it; a variable and
/// the ops that write it through its reference stay together. With <see cref="ConfigProto.AllowSoftPlacement"/> a
/// pin that cannot be honoured (no such device, or no kernel on it) falls back to a device that can run the op;
/// without it, the error names the op, the device asked for and the devices that could run it.
/// </summary>
internal static class Placer
{
    /// <summary>TensorFlow's full name of a local device: /job:localhost/replica:0/task:0/device:CPU:0.</summary>
    public static string FullName(Device d) => "/job:localhost/replica:0/task:0" + d.Name;

    public static Dictionary<Operation, Device> Place(IReadOnlyList<Operation> ops, IReadOnlyList<Device> devices, ConfigProto config)
    {
        // Colocation groups: a variable with every op that takes its reference (Assign, AssignAdd, Apply*…).
        var parent = new Dictionary<Operation, Operation>();
        Operation Find(Operation op)
        {
            while (parent.TryGetValue(op, out var p) && p != op) op = parent[op] = parent.GetValueOrDefault(p, p);
            return op;
        }
        foreach (var op in ops)
            foreach (var i in op.Def.RefInputs)
                if (i < op.inputs.Length)
                {
                    var (a, b) = (Find(op), Find(op.inputs[i].op));
                    if (a != b) parent[a] = b;
                }
        var groups = ops.GroupBy(Find).ToList();
        // A variable's device must suit every op in the graph that takes its reference, not only this plan's: the
        // initializer's plan and the training plan then put it in the same place.
        var writers = new Dictionary<Operation, List<Operation>>();
        if (ops.Count > 0)
            foreach (var op in ops[0].graph.get_operations())
                foreach (var i in op.Def.RefInputs)
                    if (i < op.inputs.Length)
                        (writers.TryGetValue(op.inputs[i].op, out var l) ? l : writers[op.inputs[i].op] = []).Add(op);

        var placed = new Dictionary<Operation, Device>(ops.Count);
        foreach (var group in groups)
        {
            var members = group.ToList();
            var pinned = members.Where(o => !string.IsNullOrEmpty(o.device)).Select(o => (Op: o, Device: DeviceSpec.Normalize(o.device))).ToList();
            var requested = pinned.Select(p => p.Device).Distinct().ToList();
            var constrained = members.Concat(members.SelectMany(o => writers.GetValueOrDefault(o, []))).Distinct().ToList();
            var capable = devices.Where(d => constrained.All(o => d.Kernels.Supports(o))).ToList();
            Device chosen;
            if (requested.Count > 1 && !config.AllowSoftPlacement)
                throw new InvalidArgumentException(
                    $"Cannot colocate op {members[0].Describe()} with the ops that write it: they are pinned to different devices " +
                    $"({string.Join(", ", pinned.Select(p => $"'{p.Op.name}' on {p.Device}"))}). A variable and its assign ops must share a device.") { Op = pinned[0].Op };
            if (requested.Count >= 1)
            {
                var spec = requested[0];
                var matching = devices.Where(d => Matches(d, spec)).ToList();
                var op = pinned[0].Op;
                var fit = matching.FirstOrDefault(capable.Contains);
                if (fit is not null && requested.Count == 1) chosen = fit;
                else if (config.AllowSoftPlacement && capable.Count > 0) chosen = capable.FirstOrDefault(d => d.DeviceType == "CPU") ?? capable[0];
                else if (matching.Count == 0)
                    throw new InvalidArgumentException(
                        $"Cannot assign a device for operation '{op.name}' ({op.type}, created at {op.CreationSite}): could not satisfy explicit device specification '{spec}' " +
                        $"because no devices matching that specification are registered in this process; available devices: {string.Join(", ", devices.Select(FullName))}. " +
                        "Pass new ConfigProto { AllowSoftPlacement = true } to the Session to run it where it can.") { Op = op };
                else
                    throw new InvalidArgumentException(
                        $"Cannot assign a device for operation '{op.name}' ({op.type}, created at {op.CreationSite}): could not satisfy explicit device specification '{spec}' " +
                        $"because no supported kernel for {matching[0].DeviceType} devices is available for {Unsupported(constrained, matching[0])}; " +
                        $"devices with kernels: {(capable.Count == 0 ? "none" : string.Join(", ", capable.Select(d => d.Name)))}. " +
                        "Pass new ConfigProto { AllowSoftPlacement = true } to the Session to run it where it can.") { Op = op };
            }
            else chosen = capable.FirstOrDefault() ?? devices[^1]; // none capable: the CPU reports the missing kernel when the step is built
            foreach (var o in members) placed[o] = chosen;
        }

        if (config.LogDevicePlacement)
        {
            var w = Log.Writer;
            foreach (var op in ops.OrderBy(o => o.Id)) w.WriteLine($"{op.name}: ({op.type}): {FullName(placed[op])}");
        }
        return placed;
    }

    /// <summary>Whether a canonical spec (/device:GPU:0, /device:GPU:*) names this device.</summary>
    private static bool Matches(Device d, string spec) =>
        spec == d.Name || (spec.EndsWith(":*") && d.Name.StartsWith(spec[..^1], StringComparison.Ordinal));

    private static string Unsupported(List<Operation> members, Device d) =>
        string.Join(", ", members.Where(o => !d.Kernels.Supports(o)).Select(o => $"'{o.name}' ({o.type})"));
}
