using Kind = DataflowNet.ControlFlowGraph.Kind;

namespace DataflowNet;

/// <summary>
/// Runs a plan that has control flow, as TensorFlow's executor does: a step runs when all of its inputs have arrived
/// in its frame and iteration. Each value is alive or dead. A Switch sends its data down one output and a dead token
/// down the other; a step with a dead input does not run and passes deadness on; a Merge forwards its first live
/// input. Enter starts iteration 0 of a loop frame (a loop constant reaches every iteration), NextIteration carries a
/// value to the next iteration, Exit hands it back to the frame outside. Single-threaded; variable writes wait for
/// every other ready step, as in the plain executor. An iteration is dropped, values and all, once every step of its
/// frame has run in it (live or dead); as in TensorFlow, at most parallel_iterations iterations of a frame are under
/// way at once (a NextIteration that would start one more waits), so a long loop holds a few iterations, not all.
/// </summary>
internal sealed class ControlFlowExecutor
{
    private readonly Plan _plan;
    private readonly ControlFlowGraph _g;
    private readonly Frame _frame;
    private readonly Queue<Work> _ready = new();
    private readonly Queue<Work> _readyWrites = new();
    private readonly List<FrameInstance> _instances = new();
    private int _liveLoopIterations, _peakLoopIterations;

    /// <summary>The most loop iterations (of all frames but the top level) held at once in this thread's last run.</summary>
    [ThreadStatic] internal static int PeakLoopIterationsOfLastRun;

    private readonly record struct Work(int Step, FrameInstance Frame, int Iteration, bool Dead);

    /// <summary>One activation of a loop frame: the loop as entered from one iteration of the frame around it.</summary>
    private sealed class FrameInstance(ControlFlowGraph.StaticFrame definition, FrameInstance? parent, int parentIteration, int parallelIterations)
    {
        public int ParallelIterations { get; } = parallelIterations;
        /// <summary>Iterations started and not yet done.</summary>
        public int Outstanding;
        /// <summary>NextIteration values for iteration <see cref="DeferredIteration"/>, held back while
        /// <see cref="ParallelIterations"/> iterations are under way.</summary>
        public readonly List<(int Step, TensorValue Value)> Deferred = new();
        public int DeferredIteration;
        public ControlFlowGraph.StaticFrame Definition { get; } = definition;
        public FrameInstance? Parent { get; } = parent;
        public int ParentIteration { get; } = parentIteration;
        /// <summary>By iteration number; null once an iteration is done.</summary>
        public readonly List<Iteration?> Iterations = new();
        /// <summary>Loop constants (Enter steps with is_constant), replayed into each new iteration.</summary>
        public readonly List<(int Step, TensorValue? Value)> Invariants = new();
        public readonly HashSet<int> ExitsDone = new();
        public readonly Dictionary<(int Iteration, ControlFlowGraph.StaticFrame Frame), FrameInstance> Children = new();
    }

    /// <summary>The values and arrival counts of one iteration of one frame.</summary>
    private sealed class Iteration
    {
        public readonly TensorValue?[] Slots;
        public readonly bool[] Dead;
        public readonly int[] Pending;
        public readonly bool[] AnyDeadInput;
        public readonly int[] MergeChosen, MergeDead, MergeControls;
        public readonly bool[] MergeFired;
        /// <summary>Steps of the frame that have run (live or dead) in this iteration.</summary>
        public int Processed;

        public Iteration(ControlFlowGraph g, TensorValue?[] slots)
        {
            int n = g.Arrivals.Length;
            Slots = slots;
            Dead = new bool[slots.Length];
            Pending = (int[])g.Arrivals.Clone();
            AnyDeadInput = new bool[n];
            MergeChosen = new int[n];
            Array.Fill(MergeChosen, -1);
            MergeDead = new int[n];
            MergeControls = new int[n];
            MergeFired = new bool[n];
        }
    }

    private ControlFlowExecutor(Plan plan, ControlFlowGraph g, Frame frame)
    {
        _plan = plan;
        _g = g;
        _frame = frame;
    }

    public static void Run(Plan plan, ControlFlowGraph g, Frame frame) => new ControlFlowExecutor(plan, g, frame).Run();

    private void Run()
    {
        try { RunFrames(); }
        finally { PeakLoopIterationsOfLastRun = _peakLoopIterations; }
    }

    private void RunFrames()
    {
        var root = new FrameInstance(_g.Root, null, 0, int.MaxValue);
        _instances.Add(root);
        var top = new Iteration(_g, _frame.Slots); // the feeds are already in these slots
        root.Iterations.Add(top);
        for (int s = 0; s < _g.Arrivals.Length; s++)
            if (_g.Arrivals[s] == 0)
            {
                if (_g.Kinds[s] == Kind.Merge) top.MergeChosen[s] = 0; // every input fed: the first one wins
                Enqueue(new Work(s, root, 0, false));
            }

        while (true)
        {
            while (_ready.Count > 0 || _readyWrites.Count > 0)
                Process(_ready.Count > 0 ? _ready.Dequeue() : _readyWrites.Dequeue());
            if (!EndFinishedFrames()) break;
        }

        var fetches = _plan.Fetches;
        for (int i = 0; i < fetches.Length; i++)
        {
            var slot = _plan.FetchSlots[i];
            if (slot < 0) continue;
            var t = (Tensor)fetches[i];
            if (top.Dead[slot])
                throw new InvalidArgumentException(
                    $"Fetch {t.name} has no value in this run: it is computed in a branch of a tf.cond (or a loop body) that did not run, so it is dead. " +
                    $"Fetch the cond's result instead. (created at {t.op.CreationSite})") { Op = t.op };
            if (top.Slots[slot] is null)
                throw new DataflowException($"Fetch {t.name} was never computed: the loop or cond that produces it did not finish (a Merge or loop never got its inputs). (created at {t.op.CreationSite})") { Op = t.op };
        }
    }

    private void Enqueue(Work w) => (_g.Writes[w.Step] ? _readyWrites : _ready).Enqueue(w);

    private void Process(Work w)
    {
        var step = _plan.Steps[w.Step];
        var kind = _g.Kinds[w.Step];
        var iteration = w.Frame.Iterations[w.Iteration]!;
        if (w.Dead) Forward(w, null, dead: true);
        else Run(w, kind, step, iteration);
        if (w.Frame.Parent is not null && ++iteration.Processed == _g.StepsPerIteration[w.Frame.Definition])
            EndIteration(w.Frame, w.Iteration);
    }

    /// <summary>Every step of the frame has run in this iteration: nothing reads or arrives in it any more.</summary>
    private void EndIteration(FrameInstance frame, int iter)
    {
        frame.Iterations[iter] = null;
        frame.Outstanding--;
        _liveLoopIterations--;
        if (frame.Deferred.Count == 0 || frame.Outstanding >= frame.ParallelIterations) return;
        var deferred = frame.Deferred.ToArray();
        frame.Deferred.Clear();
        foreach (var (step, value) in deferred) Send(step, value, frame, frame.DeferredIteration);
    }

    private void Run(Work w, Kind kind, Plan.Step step, Iteration iteration)
    {
        var ctx = _frame.Contexts[w.Step];
        if (kind == Kind.Merge)
        {
            // The Merge kernel sees only the input it forwards.
            var chosen = iteration.MergeChosen[w.Step];
            Array.Clear(ctx.Inputs);
            Array.Clear(ctx.Outputs);
            ctx.Inputs[chosen] = iteration.Slots[step.InputSlots[chosen]];
            step.Kernel(ctx);
            Array.Clear(ctx.Inputs);
        }
        else Session.RunKernel(step, ctx, iteration.Slots);
        Forward(w, ctx.Outputs, dead: false);
    }

    /// <summary>Sends a step's outputs (or its deadness) to their consumers, in the frame and iteration they go to.</summary>
    private void Forward(Work w, TensorValue?[]? outputs, bool dead)
    {
        var (s, frame, iter) = (w.Step, w.Frame, w.Iteration);
        switch (_g.Kinds[s])
        {
            case Kind.Enter:
                var child = Child(frame, iter, s);
                if (_g.EnterIsConstant[s])
                {
                    var value = dead ? null : outputs![0];
                    child.Invariants.Add((s, value));
                    Iter(child, 0);
                    for (int i = 0; i < child.Iterations.Count; i++)
                        if (child.Iterations[i] is not null) Send(s, value, child, i);
                }
                else Send(s, dead ? null : outputs![0], child, 0);
                break;
            case Kind.Exit:
                if (dead) break; // an Exit is dead in every iteration but the last; a frame that ends with none live is handled in EndFinishedFrames
                frame.ExitsDone.Add(s);
                Send(s, outputs![0], frame.Parent!, frame.ParentIteration);
                break;
            case Kind.NextIteration:
                if (dead) break; // the loop has ended: no next iteration
                bool starts = iter + 1 == frame.Iterations.Count;
                if (starts && (frame.Deferred.Count > 0 || frame.Outstanding >= frame.ParallelIterations))
                {
                    frame.Deferred.Add((s, outputs![0]!));
                    frame.DeferredIteration = iter + 1;
                }
                else Send(s, outputs![0], frame, iter + 1);
                break;
            default:
                var iteration = frame.Iterations[iter]!;
                var first = _plan.Steps[s].FirstOutputSlot;
                var outs = _g.DataOut[s];
                for (int j = 0; j < outs.Length; j++)
                {
                    var v = dead ? null : outputs![j];
                    if (v is null && !dead && _g.Kinds[s] != Kind.Switch)
                        throw new DataflowException($"Internal error: the kernel of op {_plan.Steps[s].Op.Describe()} set no output {j}.");
                    iteration.Slots[first + j] = v;
                    iteration.Dead[first + j] = v is null;
                    foreach (var (c, k) in outs[j]) Arrive(c, k, v is null, frame, iter);
                }
                foreach (var c in _g.ControlOut[s]) Arrive(c, -1, dead, frame, iter);
                break;
        }
    }

    /// <summary>Delivers the single output of an Enter, Exit or NextIteration (null: dead) into a frame's iteration.</summary>
    private void Send(int s, TensorValue? value, FrameInstance frame, int iter)
    {
        // An iteration that is done has every consumer of this value behind it: the value has nowhere to go.
        if (Iter(frame, iter) is not { } iteration) return;
        var slot = _plan.Steps[s].FirstOutputSlot;
        iteration.Slots[slot] = value;
        iteration.Dead[slot] = value is null;
        foreach (var (c, k) in _g.DataOut[s][0]) Arrive(c, k, value is null, frame, iter);
        foreach (var c in _g.ControlOut[s]) Arrive(c, -1, value is null, frame, iter);
    }

    private void Arrive(int c, int input, bool dead, FrameInstance frame, int iter)
    {
        var it = frame.Iterations[iter]!;
        if (_g.Kinds[c] != Kind.Merge)
        {
            if (dead) it.AnyDeadInput[c] = true;
            if (--it.Pending[c] == 0) Enqueue(new Work(c, frame, iter, it.AnyDeadInput[c]));
            return;
        }
        if (it.MergeFired[c]) return;
        if (input < 0)
        {
            it.MergeControls[c]++;
            if (dead) it.AnyDeadInput[c] = true;
        }
        else if (dead) it.MergeDead[c]++;
        else if (it.MergeChosen[c] < 0) it.MergeChosen[c] = input;
        if (it.MergeControls[c] < _g.MergeControls[c]) return;
        // A loop's Merge hears from its Enter in iteration 0 and from its NextIteration after that.
        var expected = _g.MergeBack[c] > 0 && iter > 0 ? _g.MergeBack[c] : _g.MergeForward[c];
        bool live = it.MergeChosen[c] >= 0 && !it.AnyDeadInput[c];
        if (!live && it.MergeDead[c] < expected && !it.AnyDeadInput[c]) return;
        it.MergeFired[c] = true;
        Enqueue(new Work(c, frame, iter, !live));
    }

    /// <summary>An iteration of a frame, created on first use; a new iteration gets the frame's loop constants.</summary>
    private Iteration? Iter(FrameInstance frame, int iter)
    {
        if (iter < frame.Iterations.Count) return frame.Iterations[iter];
        if (iter != frame.Iterations.Count) throw new DataflowException($"Internal error: iteration {iter} of frame '{frame.Definition}' started out of order.");
        var it = new Iteration(_g, new TensorValue?[_plan.SlotCount]);
        frame.Iterations.Add(it);
        if (frame.Parent is not null)
        {
            frame.Outstanding++;
            _peakLoopIterations = Math.Max(_peakLoopIterations, ++_liveLoopIterations);
        }
        if (iter > 0)
            foreach (var (s, value) in frame.Invariants) Send(s, value, frame, iter);
        return it;
    }

    private FrameInstance Child(FrameInstance frame, int iter, int enter)
    {
        var definition = _g.EnterFrame[enter]!;
        // All Enters of one loop share its frame_name, so they share the child instance.
        if (frame.Children.TryGetValue((iter, definition), out var existing)) return existing;
        var parallel = _plan.Steps[enter].Op.TryGetAttr<int>("parallel_iterations", out var p) && p > 0 ? p : 10;
        var child = new FrameInstance(definition, frame, iter, parallel);
        frame.Children[(iter, definition)] = child;
        _instances.Add(child);
        return child;
    }

    /// <summary>
    /// When nothing is ready, every frame has done all it can. A frame whose Exits never carried a live value (a loop
    /// inside an untaken branch, entered with dead values) now sends dead values out of them, so the ops after the
    /// loop are not left waiting. Returns whether anything was sent.
    /// </summary>
    private bool EndFinishedFrames()
    {
        bool sent = false;
        for (int i = 0; i < _instances.Count; i++)
        {
            var frame = _instances[i];
            if (frame.Parent is null || !_g.Exits.TryGetValue(frame.Definition, out var exits)) continue;
            foreach (var e in exits)
            {
                if (!frame.ExitsDone.Add(e)) continue;
                Send(e, null, frame.Parent, frame.ParentIteration);
                sent = true;
            }
        }
        return sent;
    }
}
