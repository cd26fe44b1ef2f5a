namespace DataflowNet;

public static partial class tf
{
    /// <summary>
    /// <c>tf.cond(pred, true_fn, false_fn)</c>: <paramref name="true_fn"/>'s result when <paramref name="pred"/> (a bool
    /// scalar) is true at run time, else <paramref name="false_fn"/>'s. Both branches are built into the graph, as
    /// TensorFlow 1 builds them; only the taken branch runs. Gradients flow through the taken branch.
    /// </summary>
    public static Tensor cond(TensorLike pred, Func<Tensor> true_fn, Func<Tensor> false_fn, string? name = null) =>
        CondCore(pred, () => [true_fn()], () => [false_fn()], name)[0];

    /// <summary>tf.cond with branches that return several tensors (matched by position).</summary>
    public static Tensor[] cond(TensorLike pred, Func<Tensor[]> true_fn, Func<Tensor[]> false_fn, string? name = null) =>
        CondCore(pred, true_fn, false_fn, name);

    private static Tensor[] CondCore(TensorLike pred, Func<Tensor[]> trueFn, Func<Tensor[]> falseFn, string? name)
    {
        ArgumentNullException.ThrowIfNull(trueFn);
        ArgumentNullException.ThrowIfNull(falseFn);
        var p = pred.ToTensor(DataType.Bool, "pred");
        if (p.dtype != DataType.Bool || (!p.shape.IsUnknownRank && p.shape.Rank != 0))
            throw new InvalidArgumentException($"tf.cond: pred must be a bool scalar, but {p.name} has dtype {p.dtype.Name()} and shape {p.shape} (created at {p.op.CreationSite}).") { Op = p.op };
        var graph = p.graph;
        using var scope = graph.name_scope(name ?? "cond");
        // TensorFlow's layout: Switch(pred, pred) gives each branch a pivot that is alive only when it is taken.
        var sw = graph.CreateOp("Switch", [p, p], name: "Switch").outputs;
        var pivotTrue = Op("Identity", [sw[1]], name: "switch_t");
        var pivotFalse = Op("Identity", [sw[0]], name: "switch_f");
        var predId = Op("Identity", [p], name: "pred_id");

        var resTrue = BuildBranch(new CondContext(graph, predId, pivotTrue, 1), trueFn);
        var resFalse = BuildBranch(new CondContext(graph, predId, pivotFalse, 0), falseFn);
        if (resTrue.Length != resFalse.Length)
            throw new InvalidArgumentException($"tf.cond '{scope.Path}': true_fn returned {resTrue.Length} tensors and false_fn {resFalse.Length}; they must return the same structure.");
        var results = new Tensor[resTrue.Length];
        for (int i = 0; i < results.Length; i++)
        {
            if (resTrue[i].dtype != resFalse[i].dtype)
                throw new InvalidArgumentException(
                    $"tf.cond '{scope.Path}': outputs of true_fn and false_fn must have the same type, but output {i} is {resTrue[i].dtype.Name()} ({resTrue[i].name}) in true_fn and {resFalse[i].dtype.Name()} ({resFalse[i].name}) in false_fn.");
            var merge = graph.CreateOp("Merge", [resFalse[i], resTrue[i]], name: "Merge");
            merge.CondPredicate = predId;
            results[i] = merge.outputs[0];
        }
        return results;

        static Tensor[] BuildBranch(CondContext context, Func<Tensor[]> fn)
        {
            using (context.Graph.EnterFlowContext(context))
            {
                var result = fn() ?? throw new InvalidArgumentException($"The {context.Describe()} returned null; it must return a Tensor.");
                // A branch that returns an outside value returns it through a Switch, so that it too dies with the branch.
                return result.Select(t => context.AddValue(t ?? throw new InvalidArgumentException($"The {context.Describe()} returned a null tensor."))).ToArray();
            }
        }
    }

    /// <summary>
    /// <c>tf.while_loop(cond, body, loop_var)</c> with one loop variable: repeats <c>v = body(v)</c> while
    /// <c>cond(v)</c> is true and returns the final value. <paramref name="maximum_iterations"/> bounds the loop.
    /// </summary>
    public static Tensor while_loop(Func<Tensor, Tensor> cond, Func<Tensor, Tensor> body, TensorLike loop_vars,
                                    int? maximum_iterations = null, int parallel_iterations = 10, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(cond);
        ArgumentNullException.ThrowIfNull(body);
        return WhileCore(v => cond(v[0]), v => [body(v[0])], [loop_vars.ToTensor()], maximum_iterations, parallel_iterations, name)[0];
    }

    /// <summary>tf.while_loop with one loop variable passed as a one-element array, as Python's <c>loop_vars=[i]</c>; returns a one-element array.</summary>
    public static Tensor[] while_loop(Func<Tensor, Tensor> cond, Func<Tensor, Tensor> body, Tensor[] loop_vars,
                                      int? maximum_iterations = null, int parallel_iterations = 10, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(loop_vars);
        if (loop_vars.Length != 1)
            throw new InvalidArgumentException($"tf.while_loop: cond and body take one tensor, but loop_vars has {loop_vars.Length}; with several loop variables, cond and body take Tensor[].");
        return [while_loop(cond, body, loop_vars[0], maximum_iterations, parallel_iterations, name)];
    }

    /// <summary>tf.while_loop with several loop variables: <paramref name="body"/> returns their next values, in order.</summary>
    public static Tensor[] while_loop(Func<Tensor[], Tensor> cond, Func<Tensor[], Tensor[]> body, Tensor[] loop_vars,
                                      int? maximum_iterations = null, int parallel_iterations = 10, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(cond);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(loop_vars);
        return WhileCore(cond, body, loop_vars, maximum_iterations, parallel_iterations, name);
    }

    private static Tensor[] WhileCore(Func<Tensor[], Tensor> cond, Func<Tensor[], Tensor[]> body, Tensor[] loopVars,
                                      int? maximumIterations, int parallelIterations, string? name)
    {
        if (loopVars.Length == 0) throw new InvalidArgumentException("tf.while_loop needs at least one loop variable.");
        if (loopVars.Any(v => v is null)) throw new InvalidArgumentException("tf.while_loop: a loop variable is null.");
        if (maximumIterations is < 0) throw new InvalidArgumentException($"tf.while_loop: maximum_iterations must be >= 0, got {maximumIterations}.");
        if (parallelIterations < 1) throw new InvalidArgumentException($"tf.while_loop: parallel_iterations must be positive, got {parallelIterations}.");
        var graph = loopVars[0].graph;
        using var scope = graph.name_scope(name ?? "while");
        // maximum_iterations is TensorFlow's: a hidden counter that is one more loop variable.
        var userCount = loopVars.Length;
        if (maximumIterations is { } max) loopVars = [.. loopVars, IntScalar(0, "iteration_counter")];

        var context = new WhileContext(graph, scope.Path + "/while_context", parallelIterations);
        var merges = new Operation[loopVars.Length];
        var nextIterations = new Tensor[loopVars.Length];
        var exits = new Tensor[loopVars.Length];
        // Control dependencies around the loop (with tf.control_dependencies([...]): tf.while_loop(...)) go on the loop
        // variables' Enters, so the whole loop waits for them; ops inside the frame, which cannot wait on an op
        // outside it, are built without them (TensorFlow strips them from the body the same way).
        var around = graph.CurrentControlInputs();
        using var noControls = graph.control_dependencies(null);
        using (graph.EnterFlowContext(context))
        {
            // The loop variables come in without the is_constant mark: only iteration 0 sees the Enter; later
            // iterations get their values from NextIteration through the Merge's back edge.
            Tensor[] enters;
            using (graph.control_dependencies(around))
                enters = loopVars.Select(v => context.Enter(AsLoopValue(context, v), isConstant: false)).ToArray();
            for (int i = 0; i < enters.Length; i++)
                merges[i] = graph.CreateOp("Merge", [enters[i], enters[i]], name: "Merge"); // input 1 becomes the back edge below
            var values = merges.Select(m => m.outputs[0]).ToArray();
            context.CurrentPivot = merges[0];
            var predicate = cond(values[..userCount]) ?? throw new InvalidArgumentException("tf.while_loop: cond returned null.");
            predicate = context.AddValue(predicate);
            if (predicate.dtype != DataType.Bool || (!predicate.shape.IsUnknownRank && predicate.shape.Rank != 0))
                throw new InvalidArgumentException($"tf.while_loop '{scope.Path}': cond must return a bool scalar, but returned {predicate.name} with dtype {predicate.dtype.Name()} and shape {predicate.shape}.") { Op = predicate.op };
            if (maximumIterations is { } limit)
                predicate = logical_and(predicate, less(values[^1], IntScalar(limit, "maximum_iterations")));
            var loopCond = Op("LoopCond", [predicate], name: "LoopCond");
            var identities = new Tensor[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                var sw = graph.CreateOp("Switch", [values[i], loopCond], name: "Switch").outputs;
                exits[i] = sw[0];
                identities[i] = Op("Identity", [sw[1]], name: "Identity");
            }
            context.CurrentPivot = identities[0].op;
            var next = body(identities[..userCount]) ?? throw new InvalidArgumentException("tf.while_loop: body returned null.");
            if (next.Length != userCount)
                throw new InvalidArgumentException($"tf.while_loop '{scope.Path}': body returned {next.Length} tensors for {userCount} loop variables; it must return one per loop variable, in order.");
            if (maximumIterations is not null) next = [.. next, add(identities[^1], IntScalar(1, "one"))];
            for (int i = 0; i < next.Length; i++)
            {
                var n = next[i] ?? throw new InvalidArgumentException($"tf.while_loop '{scope.Path}': body returned null for loop variable {i}.");
                n = context.AddValue(n);
                if (n.dtype != values[i].dtype)
                    throw new InvalidArgumentException($"tf.while_loop '{scope.Path}': loop variable {i} enters as {values[i].dtype.Name()} ({loopVars[i].name}) but the body returns {n.dtype.Name()} ({n.name}).");
                if (!values[i].shape.Equals(ControlFlowOps.MostGeneral(values[i].shape, n.shape)))
                    throw new InvalidArgumentException($"tf.while_loop '{scope.Path}': loop variable {i} enters with shape {values[i].shape} ({loopVars[i].name}) but has shape {n.shape} after one iteration ({n.name}).");
                nextIterations[i] = Op("NextIteration", [n], name: "NextIteration");
            }
        }
        // The back edges: each Merge takes its NextIteration as its second input (TensorFlow patches it in the same way).
        for (int i = 0; i < merges.Length; i++) merges[i].inputs[1] = nextIterations[i];
        var results = new Tensor[userCount];
        using (graph.EnterFlowContext(context.Outer))
            for (int i = 0; i < userCount; i++) results[i] = Op("Exit", [exits[i]], name: "Exit");
        return results;

        static Tensor AsLoopValue(WhileContext context, Tensor v) => context.Outer is null ? v : context.Outer.AddValue(v);
    }
}
