using DataflowNet.Kernels.Gpu;

namespace DataflowNet;

/// <summary>
/// One (fetches, feeds, targets) signature compiled once: the ops it needs, in an order that runs every variable
/// write after every op that does not depend on it, each with its kernel and the slots its inputs and outputs use.
/// Running a plan does no graph analysis.
/// </summary>
internal sealed class Plan
{
    /// <param name="Cells">For each input that is a variable reference or a variable read, the variable's cell.</param>
    /// <param name="SelfCell">A VariableV2 step's own cell.</param>
    internal sealed record Step(Operation Op, Kernel Kernel, int[] InputSlots, int FirstOutputSlot, VariableCell?[] Cells, VariableCell? SelfCell);

    /// <summary>An input slot meaning "a variable reference": the kernel uses the variable itself (Assign's 'ref').</summary>
    public const int RefSlot = -1;
    /// <summary>
    /// An input slot meaning "read the variable when this op runs". A value taken when the VariableV2 op ran would be
    /// stale for a read ordered after an update (a read_value() inside control_dependencies on an assign_add).
    /// </summary>
    public const int ReadVariableSlot = -2;

    public Step[] Steps { get; }
    public int SlotCount { get; }
    public Dictionary<Tensor, int> FeedSlots { get; }
    /// <summary>Slot of each fetch, or -1 for an Operation fetch.</summary>
    public int[] FetchSlots { get; }
    /// <summary>The signature this plan serves, compared on lookup without allocating.</summary>
    public IFetchable[] Fetches { get; }

    /// <summary>The devices other than the CPU that this plan's steps run on: a run waits for each at its end.</summary>
    public Device[] AsyncDevices { get; private set; } = [];

    /// <summary>The edges the dataflow executor follows, when the plan has control flow (else null: steps run in order).</summary>
    public ControlFlowGraph? ControlFlow { get; private set; }

    private readonly Stack<Frame> _frames = new();

    private Plan(Step[] steps, int slotCount, Dictionary<Tensor, int> feedSlots, int[] fetchSlots, IFetchable[] fetches)
    {
        Steps = steps;
        SlotCount = slotCount;
        FeedSlots = feedSlots;
        FetchSlots = fetchSlots;
        Fetches = fetches;
    }

    /// <summary>Whether this plan serves exactly these fetches and feeds.</summary>
    public bool Matches(ReadOnlySpan<IFetchable> fetches, ReadOnlySpan<(Tensor Tensor, object Value)> feeds)
    {
        if (fetches.Length != Fetches.Length || feeds.Length != FeedSlots.Count) return false;
        for (int i = 0; i < fetches.Length; i++)
            if (!fetches[i].Equals(Fetches[i])) return false;
        foreach (var (t, _) in feeds)
            if (!FeedSlots.ContainsKey(t)) return false;
        return true;
    }

    /// <summary>A frame to run in: pooled, so a warm plan allocates none, and concurrent runs each get their own.</summary>
    public Frame RentFrame(Session session)
    {
        lock (_frames)
            if (_frames.Count > 0) return _frames.Pop();
        return new Frame(this, session);
    }

    public void ReturnFrame(Frame frame)
    {
        lock (_frames) _frames.Push(frame);
    }

    public static Plan Build(Graph graph, IReadOnlyList<IFetchable> fetches, IReadOnlyCollection<Tensor> feeds, IReadOnlyList<Device> devices,
                             ConfigProto config, VariableStore variables)
    {
        var fed = new HashSet<Tensor>(feeds);
        var needed = new HashSet<Operation>();
        var stack = new Stack<Operation>();
        foreach (var f in fetches)
        {
            if (f is Tensor t) { if (!fed.Contains(t)) Need(t.op); }
            else Need((Operation)f);
        }
        while (stack.Count > 0)
        {
            var op = stack.Pop();
            foreach (var input in op.inputs) if (!fed.Contains(input)) Need(input.op);
            foreach (var c in op.control_inputs) Need(c);
        }

        var unfed = needed.Where(o => o.type == "Placeholder").OrderBy(o => o.Id).ToList();
        if (unfed.Count > 0)
            throw new InvalidArgumentException(
                "You must feed a value for placeholder tensor" + (unfed.Count > 1 ? "s " : " ") +
                string.Join(", ", unfed.Select(p => $"'{p.name}' with dtype {p.outputs[0].dtype.Name()} and shape {p.outputs[0].shape} (created at {p.CreationSite})")) +
                ".") { Op = unfed[0] };

        // A graph with control flow runs on the dataflow executor, which orders ops as values arrive; it is not fused.
        bool controlFlow = needed.Any(o => ControlFlowOps.Types.Contains(o.type));
        var order = controlFlow ? needed.OrderBy(o => o.Id).ToList() : Schedule(needed, fed);

        // Slots: one per output of each scheduled op, plus one per fed tensor.
        var slotOf = new Dictionary<Tensor, int>();
        int slots = 0;
        var feedSlots = new Dictionary<Tensor, int>();
        foreach (var t in fed) feedSlots[t] = slotOf[t] = slots++;
        // The dataflow executor runs on the CPU: a graph with control flow is placed there whole.
        var placement = Placer.Place(order, controlFlow ? [CpuDevice.Instance] : devices, controlFlow ? Soft(config) : config);
        var (groups, absorbed) = controlFlow ? ([], []) : Fusion.Find(order, fetches, fed, placement);
        var asyncDevices = new HashSet<Device>();
        // Every output gets its slot before any step reads one: a loop's Merge reads a NextIteration that comes later.
        var firstSlot = new Dictionary<Operation, int>(order.Count);
        foreach (var op in order)
        {
            firstSlot[op] = slots;
            foreach (var o in op.outputs)
            {
                if (!slotOf.ContainsKey(o)) slotOf[o] = slots;
                slots++;
            }
        }
        var steps = new List<Step>(order.Count);
        var copies = new Dictionary<(Tensor, Device), int>();
        foreach (var op in order)
        {
            int first = firstSlot[op];
            if (absorbed.Contains(op)) continue; // runs inside its group's fused step
            var group = groups.GetValueOrDefault(op);
            // A fused step reads the group's leaves; any other step reads the op's inputs.
            var inputs = group is null ? op.inputs : group.Leaves.ToArray();
            var inputSlots = new int[inputs.Length];
            var cells = new VariableCell?[inputs.Length];
            for (int k = 0; k < inputs.Length; k++)
            {
                var input = inputs[k];
                inputSlots[k] = group is null && Array.IndexOf(op.Def.RefInputs, k) >= 0 ? RefSlot
                    : input.op.type == "VariableV2" && !fed.Contains(input) ? ReadVariableSlot
                    : slotOf[input];
                if (inputSlots[k] < 0) cells[k] = variables.Cell(input.op);
            }
            var self = op.type == "VariableV2" ? variables.Cell(op)
                : group?.WritesVariable is { } written ? variables.Cell(written) : null;
            var device = placement[op];
            if (device is not CpuDevice) asyncDevices.Add(device);
            // Where an input lives on another device (or a GPU kernel reads it on the host), an explicit copy step
            // brings it over, once per tensor and device.
            for (int k = 0; k < inputs.Length; k++)
            {
                if (inputSlots[k] == RefSlot || group is null && device.Kernels.ReadsDimsOnly(op.type)) continue;
                var input = inputs[k];
                // A variable's value lives where the variable is placed; feeds and host-memory outputs live on the CPU.
                Device source = fed.Contains(input) || placement[input.op].Kernels.ReadsDimsOnly(input.op.type) ? CpuDevice.Instance : placement[input.op];
                // A fused GPU group reads every leaf on its device.
                Device target = device is not CpuDevice && (group is not null || !device.Kernels.ReadsOnHost(op.type, k, inputs.Length)) ? device : CpuDevice.Instance;
                if (source == target) continue;
                // A variable read is copied per consumer: the copy reads the variable when it runs, and a consumer
                // ordered after an update must not reuse a copy taken before it.
                bool variableRead = inputSlots[k] == ReadVariableSlot;
                if (variableRead || !copies.TryGetValue((input, target), out var copySlot))
                {
                    var copy = CopyOp(input, target);
                    var copyKernel = target is GpuDevice gpu ? gpu.Kernels.Find(copy, gpu.Name) : source.Kernels.Find(copy, source.Name);
                    copySlot = slots++;
                    steps.Add(new Step(copy, copyKernel, [inputSlots[k]], copySlot, [cells[k]], null));
                    if (!variableRead) copies[(input, target)] = copySlot;
                }
                inputSlots[k] = copySlot;
                cells[k] = null;
            }
            var kernel = group is null ? device.Kernels.Find(op, device.Name) : Fusion.Compile(group, device);
            steps.Add(new Step(op, kernel, inputSlots, first, cells, self));
        }
        var fetchSlots = fetches.Select(f => f is Tensor t ? slotOf[t] : -1).ToArray();
        var plan = new Plan(steps.ToArray(), slots, feedSlots, fetchSlots, fetches.ToArray());
        plan.AsyncDevices = [.. asyncDevices];
        if (controlFlow) plan.ControlFlow = ControlFlowGraph.Build(plan, fed, fetches);
        return plan;

        void Need(Operation op)
        {
            if (needed.Add(op)) stack.Push(op);
        }
    }

    private static ConfigProto Soft(ConfigProto c) =>
        new() { AllowSoftPlacement = true, LogDevicePlacement = c.LogDevicePlacement, GpuOptions = c.GpuOptions };

    private static readonly OpDef CopyToDevice = new(GpuKernels.Copy.ToDevice, "input") { Shape = c => c.One(c.InputType(0), c.InputShape(0)) };
    private static readonly OpDef CopyToHost = new(GpuKernels.Copy.ToHost, "input") { Shape = c => c.One(c.InputType(0), c.InputShape(0)) };

    /// <summary>A copy of <paramref name="t"/> onto <paramref name="target"/>: an op of the plan only, never added to the graph.</summary>
    private static Operation CopyOp(Tensor t, Device target)
    {
        var def = target is CpuDevice ? CopyToHost : CopyToDevice;
        var op = new Operation(t.graph, def, $"{t.op.name}/_copy_{t.value_index}_to_{target.Name.Replace("/device:", "").Replace(':', '_')}",
                               [t], [], new(), target.Name, t.op.CreationSite);
        op.SetOutputs([new OutputSpec(t.dtype, t.shape)]);
        return op;
    }

    /// <summary>
    /// Topological order; among ready ops, variable writes go last, so one run reads every variable before
    /// updating any (all gradients come from the same weights). When only writes are ready, the first to run is one
    /// whose variable no op still to come reads without depending on it: a read waiting on another write (through a
    /// control dependency) still sees the value from before this one. Ties break by creation order, for determinism.
    /// </summary>
    private static List<Operation> Schedule(HashSet<Operation> needed, HashSet<Tensor> fed)
    {
        var pending = new Dictionary<Operation, int>();
        var consumers = new Dictionary<Operation, List<Operation>>();
        var deps = new Dictionary<Operation, List<Operation>>();
        // The ops that read each variable (its VariableV2 output) without writing it.
        var readers = new Dictionary<Operation, List<Operation>>();
        foreach (var op in needed)
        {
            var opDeps = new HashSet<Operation>();
            foreach (var i in op.inputs) if (!fed.Contains(i) && needed.Contains(i.op)) opDeps.Add(i.op);
            foreach (var c in op.control_inputs) if (needed.Contains(c)) opDeps.Add(c);
            pending[op] = opDeps.Count;
            deps[op] = opDeps.ToList();
            foreach (var d in opDeps)
            {
                if (!consumers.TryGetValue(d, out var list)) consumers[d] = list = new();
                list.Add(op);
            }
            if (op.Def.WritesVariable) continue;
            foreach (var i in op.inputs)
                if (i.op.type == "VariableV2" && !fed.Contains(i))
                {
                    if (!readers.TryGetValue(i.op, out var list)) readers[i.op] = list = new();
                    list.Add(op);
                }
        }
        var ready = new PriorityQueue<Operation, int>();
        var readyWrites = new List<Operation>();
        foreach (var (op, n) in pending) if (n == 0) Enqueue(op);
        var order = new List<Operation>(needed.Count);
        var scheduled = new HashSet<Operation>();
        while (ready.Count > 0 || readyWrites.Count > 0)
        {
            var op = ready.Count > 0 ? ready.Dequeue() : TakeWrite();
            order.Add(op);
            scheduled.Add(op);
            if (!consumers.TryGetValue(op, out var list)) continue;
            foreach (var c in list)
                if (--pending[c] == 0) Enqueue(c);
        }
        if (order.Count != needed.Count)
            throw new InvalidArgumentException("The graph has a cycle among the ops this run needs.");
        return order;

        void Enqueue(Operation op)
        {
            if (op.Def.WritesVariable) readyWrites.Add(op);
            else ready.Enqueue(op, op.Id);
        }

        // The ready write to run next: the first by creation order that no later read of its variable is still owed,
        // else (the reads wait on each other's writes: no order serves them all) simply the first.
        Operation TakeWrite()
        {
            readyWrites.Sort((a, b) => a.Id.CompareTo(b.Id));
            var chosen = readyWrites.FirstOrDefault(w => !OwesARead(w)) ?? readyWrites[0];
            readyWrites.Remove(chosen);
            return chosen;
        }

        bool OwesARead(Operation write) =>
            write.inputs.Length > 0 && readers.TryGetValue(write.inputs[0].op, out var list)
            && list.Any(r => !scheduled.Contains(r) && !DependsOn(r, write));

        // Whether op waits (through inputs or control dependencies) on target.
        bool DependsOn(Operation op, Operation target)
        {
            var seen = new HashSet<Operation>();
            var stack = new Stack<Operation>([op]);
            while (stack.Count > 0)
                foreach (var d in deps[stack.Pop()])
                {
                    if (d == target) return true;
                    if (!scheduled.Contains(d) && seen.Add(d)) stack.Push(d);
                }
            return false;
        }
    }
}
