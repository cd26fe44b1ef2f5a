namespace DataflowNet;

/// <summary>
/// What the dataflow executor needs to know about a plan with control flow, worked out once when the plan is built:
/// who consumes each output, how many arrivals each step waits for, each step's role (Switch, Merge, Enter…), and
/// the loop frame each step runs in (static frames, named by the Enter ops' frame_name).
/// </summary>
internal sealed class ControlFlowGraph
{
    public enum Kind : byte { Plain, Switch, Merge, Enter, Exit, NextIteration }

    /// <summary>A loop frame as written in the graph: a frame_name inside its parent frame. Root has no name.</summary>
    public sealed class StaticFrame(string name, StaticFrame? parent)
    {
        public string Name { get; } = name;
        public StaticFrame? Parent { get; } = parent;
        public override string ToString() => Parent is null ? "(top level)" : Name;
    }

    public readonly StaticFrame Root = new("", null);
    /// <summary>Per step and output: the (consumer step, input index) pairs it feeds.</summary>
    public (int Step, int Input)[][][] DataOut = [];
    /// <summary>Per step: the steps that take it as a control input.</summary>
    public int[][] ControlOut = [];
    /// <summary>Per step: data arrivals (inputs not fed) plus control arrivals it waits for in one iteration.</summary>
    public int[] Arrivals = [];
    public Kind[] Kinds = [];
    public bool[] Writes = [];
    /// <summary>Per Merge: data inputs that come from a NextIteration (the back edges) and the others.</summary>
    public int[] MergeBack = [], MergeForward = [], MergeControls = [];
    /// <summary>Per Enter: the frame its output enters, and whether it is a loop constant seen by every iteration.</summary>
    public StaticFrame?[] EnterFrame = [];
    public bool[] EnterIsConstant = [];
    public StaticFrame[] FrameOf = [];
    /// <summary>Per static frame: how many steps run in each of its iterations (an iteration is done when all have).</summary>
    public Dictionary<StaticFrame, int> StepsPerIteration = new();
    /// <summary>The Exit steps of each frame, for ending frames whose exits never carried a live value.</summary>
    public Dictionary<StaticFrame, int[]> Exits = new();

    public static ControlFlowGraph Build(Plan plan, HashSet<Tensor> fed, IReadOnlyList<IFetchable> fetches)
    {
        var steps = plan.Steps;
        int n = steps.Length;
        var stepOf = new Dictionary<Operation, int>(n);
        for (int i = 0; i < n; i++) stepOf[steps[i].Op] = i;
        var g = new ControlFlowGraph
        {
            Arrivals = new int[n], Kinds = new Kind[n], Writes = new bool[n],
            MergeBack = new int[n], MergeForward = new int[n], MergeControls = new int[n],
            EnterFrame = new StaticFrame?[n], EnterIsConstant = new bool[n], FrameOf = new StaticFrame[n],
        };
        var dataOut = new List<(int, int)>[n][];
        var controlOut = new List<int>[n];
        for (int i = 0; i < n; i++)
        {
            dataOut[i] = steps[i].Op.outputs.Select(_ => new List<(int, int)>()).ToArray();
            controlOut[i] = new();
            var op = steps[i].Op;
            g.Writes[i] = op.Def.WritesVariable;
            g.Kinds[i] = op.type switch
            {
                "Switch" => Kind.Switch, "Merge" => Kind.Merge, "Enter" => Kind.Enter,
                "Exit" => Kind.Exit, "NextIteration" => Kind.NextIteration, _ => Kind.Plain,
            };
        }
        for (int c = 0; c < n; c++)
        {
            var op = steps[c].Op;
            for (int k = 0; k < op.inputs.Length; k++)
            {
                var t = op.inputs[k];
                if (fed.Contains(t)) continue; // its value is in the top-level slots before anything runs
                // A variable's reference or read is taken from its cell when the op runs: nothing arrives, and the
                // variable (top level) says nothing about the frame of an assign inside a loop body.
                if (steps[c].InputSlots[k] < 0) continue;
                var p = stepOf[t.op];
                dataOut[p][t.value_index].Add((c, k));
                g.Arrivals[c]++;
                if (g.Kinds[c] == Kind.Merge)
                {
                    if (g.Kinds[p] == Kind.NextIteration) g.MergeBack[c]++;
                    else g.MergeForward[c]++;
                }
            }
            foreach (var ctl in op.control_inputs)
            {
                if (!stepOf.TryGetValue(ctl, out var p)) continue;
                controlOut[p].Add(c);
                g.Arrivals[c]++;
                g.MergeControls[c] += g.Kinds[c] == Kind.Merge ? 1 : 0;
            }
        }
        g.DataOut = dataOut.Select(outs => outs.Select(l => l.ToArray()).ToArray()).ToArray();
        g.ControlOut = controlOut.Select(l => l.ToArray()).ToArray();
        g.AssignFrames(steps, stepOf, fed);
        return g;
    }

    /// <summary>
    /// Gives each step its static frame: a step runs where its inputs come from; an Enter's output is in the frame it
    /// names, an Exit's in the frame around its own.
    /// </summary>
    private void AssignFrames(Plan.Step[] steps, Dictionary<Operation, int> stepOf, HashSet<Tensor> fed)
    {
        int n = steps.Length;
        var frames = new Dictionary<(StaticFrame, string), StaticFrame>();
        var known = new bool[n];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int s = 0; s < n; s++)
            {
                if (known[s]) continue;
                var op = steps[s].Op;
                StaticFrame? frame = null;
                bool anySource = false;
                for (int k = 0; k < op.inputs.Length; k++)
                {
                    var t = op.inputs[k];
                    if (fed.Contains(t) || steps[s].InputSlots[k] < 0) continue;
                    anySource = true;
                    var p = stepOf[t.op];
                    if (known[p]) { frame = OutputFrame(p); break; }
                }
                if (frame is null)
                    foreach (var ctl in op.control_inputs)
                    {
                        if (!stepOf.TryGetValue(ctl, out var p)) continue;
                        anySource = true;
                        if (known[p]) { frame = OutputFrame(p); break; }
                    }
                if (frame is null && anySource) continue;
                FrameOf[s] = frame ?? Root;
                known[s] = true;
                changed = true;
                if (Kinds[s] == Kind.Enter)
                {
                    var name = op.get_attr<string>("frame_name");
                    if (!frames.TryGetValue((FrameOf[s], name), out var child)) frames[(FrameOf[s], name)] = child = new StaticFrame(name, FrameOf[s]);
                    EnterFrame[s] = child;
                    EnterIsConstant[s] = op.TryGetAttr<bool>("is_constant", out var c) && c;
                }
                if (Kinds[s] == Kind.Exit && FrameOf[s].Parent is null)
                    throw new InvalidArgumentException($"Exit op {op.Describe()} is not inside a while loop: no Enter leads to it.") { Op = op };
            }
        }
        for (int s = 0; s < n; s++)
        {
            if (!known[s]) throw new InvalidArgumentException($"Op {steps[s].Op.Describe()} lies on a cycle that no while loop's Merge closes.") { Op = steps[s].Op };
            foreach (var t in steps[s].Op.inputs)
                if (fed.Contains(t) && FrameOf[s] != Root)
                    throw new UnimplementedException($"Tensor {t.name} is fed, but op {steps[s].Op.Describe()} reads it inside a while loop; feed a tensor outside the loop instead.") { Op = steps[s].Op };
        }
        Exits = Enumerable.Range(0, n).Where(s => Kinds[s] == Kind.Exit).GroupBy(s => FrameOf[s]).ToDictionary(gr => gr.Key, gr => gr.ToArray());
        StepsPerIteration = FrameOf.GroupBy(f => f).ToDictionary(gr => gr.Key, gr => gr.Count());

        StaticFrame OutputFrame(int p) => Kinds[p] switch
        {
            Kind.Enter => EnterFrame[p]!,
            Kind.Exit => FrameOf[p].Parent!,
            _ => FrameOf[p],
        };
    }
}
