namespace DataflowNet;

/// <summary>
/// Builds the gradient of an op: given the op and the gradient flowing into each of its outputs, returns the
/// gradient of each input (null where none flows). Gradient functions create ordinary ops.
/// </summary>
public delegate Tensor?[] GradientFunction(Operation op, Tensor[] grads);

/// <summary>
/// Reverse-mode automatic differentiation over the graph, as TensorFlow's tf.gradients: walk the ops between xs and
/// ys from the ys back, call each op's gradient function, and sum the contributions that reach one tensor. The
/// result is ordinary ops, so the executor treats forward and backward alike.
/// </summary>
public static class Gradients
{
    /// <summary>The gradient of an op that is not differentiable (integer outputs, comparisons, random draws…).</summary>
    public static readonly GradientFunction None = (op, _) => new Tensor?[op.inputs.Length];

    /// <summary>The zeros handed to a gradient function for an output no gradient reached (TensorFlow's _is_zeros_tensor).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Tensor, object> Unreached = new();

    private static Tensor NoGradient(Tensor output)
    {
        // The op form even for a static shape: zeros for a Switch's untaken output must be dead with it.
        var zeros = tf.Op("ZerosLike", [output]);
        Unreached.AddOrUpdate(zeros, Unreached);
        return zeros;
    }

    /// <summary>Whether a gradient function's incoming gradient is only the zeros standing in for none: it can skip terms.</summary>
    internal static bool IsUnreached(Tensor gradient) => Unreached.TryGetValue(gradient, out _);

    /// <summary>
    /// The gradient that <paramref name="op"/>, inside tf.cond branches, passes to a variable it reads directly
    /// (read_value() inside a branch takes the reference without a Switch): it leaves each branch through a Merge with
    /// zeros from the other branch, as the gradient of TensorFlow's RefSwitch does, so it is live whether or not the
    /// branch ran (a dead gradient would silently stop the variable's update).
    /// </summary>
    private static Tensor LeaveBranches(Operation op, Tensor input, Tensor g)
    {
        if (input.op.type != "VariableV2") return g;
        for (var c = op.FlowContext; c is CondContext cond; c = c.Outer)
        {
            var otherBranch = tf.OpN("Switch", [tf.zeros_like(input), cond.Pred], name: "cond_grad_zeros")[1 - cond.Branch];
            g = tf.OpN("Merge", [g, otherBranch], name: "cond_grad")[0];
        }
        return g;
    }

    public static Tensor?[] Compute(IReadOnlyList<Tensor> ys, IReadOnlyList<Tensor> xs, IReadOnlyList<Tensor?>? gradYs = null,
                                    IReadOnlyList<Tensor>? stopGradients = null, string name = "gradients")
    {
        if (ys.Count == 0) throw new InvalidArgumentException("tf.gradients needs at least one y.");
        // A variable is differentiated through its reference, as TensorFlow's (as_ref): every read of it, the `read`
        // snapshot and each read_value() (inside a cond too: LeaveBranches), is a path to it.
        xs = xs.Select(x => x is Variable v ? v.Ref : x).ToList();
        if (stopGradients is not null) stopGradients = stopGradients.Select(t => t is Variable v ? v.Ref : t).ToList();
        var graph = ys[0].graph;
        foreach (var t in ys.Concat(xs))
            if (t.graph != graph) throw new InvalidArgumentException($"Tensor {t.name} is not from the same graph as {ys[0].name}.");
        if (gradYs is not null && gradYs.Count != ys.Count)
            throw new InvalidArgumentException($"grad_ys has {gradYs.Count} entries but ys has {ys.Count}.");

        using var _ = graph.as_default();
        using var scope = graph.name_scope(name);

        // The ops that lie on a path from some x to some y: reachable backwards from ys and forwards from xs.
        var stops = new HashSet<Operation>((stopGradients ?? []).Select(t => t.op));
        var fromYs = new HashSet<Operation>();
        var stack = new Stack<Operation>(ys.Select(y => y.op));
        while (stack.Count > 0)
        {
            var op = stack.Pop();
            if (!fromYs.Add(op)) continue;
            if (stops.Contains(op)) continue;
            foreach (var input in op.inputs) stack.Push(input.op);
        }
        var consumers = new Dictionary<Operation, List<Operation>>();
        foreach (var op in fromYs)
            foreach (var input in op.inputs)
            {
                if (!consumers.TryGetValue(input.op, out var list)) consumers[input.op] = list = new();
                if (!list.Contains(op)) list.Add(op);
            }
        var between = new HashSet<Operation>();
        foreach (var x in xs) stack.Push(x.op);
        while (stack.Count > 0)
        {
            var op = stack.Pop();
            if (!fromYs.Contains(op) || !between.Add(op)) continue;
            if (stops.Contains(op) && !xs.Any(x => x.op == op)) continue;
            if (consumers.TryGetValue(op, out var next)) foreach (var c in next) stack.Push(c);
        }

        // Seed each y with grad_ys (ones by default) and walk back in reverse topological order.
        var pending = new Dictionary<Tensor, List<Tensor>>();
        for (int i = 0; i < ys.Count; i++)
        {
            var y = ys[i];
            var seed = gradYs?[i] ?? tf.ones_like(y, name: "grad_ys_" + i);
            if (seed.dtype != y.dtype)
                throw new InvalidArgumentException($"grad_ys[{i}] has dtype {seed.dtype.Name()}, but y {y.name} has dtype {y.dtype.Name()}.");
            Add(pending, y, seed);
        }

        // Ops are visited once all of their consumers inside 'between' have passed their gradients back.
        var remaining = between.ToDictionary(op => op, op => consumers.TryGetValue(op, out var c) ? c.Count(between.Contains) : 0);
        var ready = new Stack<Operation>(between.Where(op => remaining[op] == 0));
        var xOps = new HashSet<Operation>(xs.Select(x => x.op));
        while (ready.Count > 0)
        {
            var op = ready.Pop();
            bool isStop = stops.Contains(op);
            var outGrads = op.outputs.Select(o => Aggregate(pending, o)).ToArray();
            // An x whose inputs lie off every path is where differentiation stops (TensorFlow's stop ops).
            bool isSource = xOps.Contains(op) && !op.inputs.Any(i => between.Contains(i.op));
            if (!isStop && !isSource && outGrads.Any(g => g is not null))
            {
                var def = op.Def;
                if (def.Gradient is null)
                    throw new NotFoundException($"No gradient defined for operation '{op.name}' (op type: {op.type}), created at {op.CreationSite}.") { Op = op };
                // Outputs with no gradient get zeros, so every gradient function sees a full list.
                var filled = outGrads.Select((g, i) => g ?? NoGradient(op.outputs[i])).ToArray();
                Tensor?[] inGrads;
                using (graph.name_scope(op.name + "_grad"))
                    inGrads = def.Gradient(op, filled);
                if (inGrads.Length != op.inputs.Length)
                    throw new DataflowException($"The gradient of {op.type} returned {inGrads.Length} gradients for {op.inputs.Length} inputs.");
                for (int i = 0; i < inGrads.Length; i++)
                {
                    var input = op.inputs[i];
                    var g = inGrads[i];
                    if (g is null || !input.dtype.IsFloating() || !between.Contains(input.op)) continue;
                    Add(pending, input, LeaveBranches(op, input, g));
                }
            }
            foreach (var input in op.inputs.Select(i => i.op).Distinct())
                if (between.Contains(input) && --remaining[input] == 0) ready.Push(input);
        }

        return xs.Select(x => x.dtype.IsFloating() ? Aggregate(pending, x) : null).ToArray();
    }

    private static void Add(Dictionary<Tensor, List<Tensor>> pending, Tensor t, Tensor g)
    {
        if (!pending.TryGetValue(t, out var list)) pending[t] = list = new();
        list.Add(g);
    }

    /// <summary>The sum of every gradient that reached <paramref name="t"/>, computed once (AddN).</summary>
    private static Tensor? Aggregate(Dictionary<Tensor, List<Tensor>> pending, Tensor t)
    {
        if (!pending.TryGetValue(t, out var list) || list.Count == 0) return null;
        if (list.Count > 1)
        {
            var sum = tf.add_n(list.Select(g => (TensorLike)g));
            RowSparse.RecordSum(sum, list);
            list.Clear();
            list.Add(sum);
        }
        return list[0];
    }
}
