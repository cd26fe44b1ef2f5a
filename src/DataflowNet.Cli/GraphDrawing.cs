using System.Globalization;
using System.Xml.Linq;

namespace DataflowNet.Cli;

/// <summary>
/// A layered (Sugiyama-style) drawing of a graph, top to bottom, with name scopes as nested boxes. No layout
/// library: Microsoft.Msagl (AutomaticGraphLayout) is not served by the package registry this project uses, and
/// GraphShape's Sugiyama layout knows nothing of clusters, so scope boxes drawn around its result overlap. The steps
/// are the classic ones, kept compact: break cycles (back edges found by depth-first search), longest-path layers
/// (sources pulled down next to their first consumer), dummy nodes on long edges, barycenter ordering in alternating
/// sweeps with each scope kept contiguous (a scope sorts by the mean position of its members, so it keeps one
/// left-to-right place in every layer), then x positions packed scope by scope (a box is placed as one block across
/// its layers, so boxes never overlap) and nodes nudged toward their neighbours within the room they have.
/// </summary>
internal sealed class GraphDrawing
{
    internal sealed class Node
    {
        public required string Id { get; init; }
        public required string Label { get; init; }
        public required string Sub { get; init; }
        public required string Kind { get; init; }
        public string Tooltip { get; init; } = "";
        public required Scope Scope { get; set; }
        public bool Dummy { get; init; }
        public int Index { get; init; }
        public double W { get; init; }
        public int Layer { get; set; }
        public int Order { get; set; }
        public double Key { get; set; }
        public double X { get; set; }
        public List<Node> Up { get; } = [];
        public List<Node> Down { get; } = [];
        public double Center => X + W / 2;
        /// <summary>The scopes from the outermost (root) down to the node's own, computed once for the ordering.</summary>
        public Scope[] Chain { get; set; } = [];
    }

    internal sealed class Scope
    {
        public required string Name { get; init; }
        public Scope? Parent { get; init; }
        public int Id { get; init; }
        public List<Scope> Children { get; } = [];
        public List<Node> Nodes { get; } = [];
        public int Lo { get; set; } = int.MaxValue;
        public int Hi { get; set; } = int.MinValue;
        public int Height { get; set; }
        public double Key { get; set; }
        public double X { get; set; }
        public double W { get; set; }
        public int Depth => Parent is null ? 0 : Parent.Depth + 1;
        public IEnumerable<Scope> Ancestors() { for (var s = this; s is not null; s = s.Parent) yield return s; }
    }

    internal sealed record Edge(Node From, Node To, string Label, bool Control, bool Back)
    {
        public List<Node> Dummies { get; } = [];
    }

    private const double H = 36, Gap = 18, BoxMargin = 10, PadX = 12, LabelH = 18, PadBottom = 8, Margin = 24, Top = 64;

    public List<Node> Nodes { get; } = [];
    public List<Edge> Edges { get; } = [];
    public List<Scope> Scopes { get; } = [];
    public int Layers { get; private set; }
    private double _pitch;
    private Scope Root => Scopes[0];

    public static GraphDrawing Layout(GraphModel model, IReadOnlyList<string> collapse)
    {
        var d = new GraphDrawing();
        d.Build(model, collapse);
        d.AssignLayers();
        d.AddDummies();
        d.Order();
        d.Place();
        return d;
    }

    // ---------- nodes, scopes, edges ----------
    private void Build(GraphModel model, IReadOnlyList<string> collapse)
    {
        string Shown(string name) => collapse.FirstOrDefault(c => name.StartsWith(c + "/", StringComparison.Ordinal) || name == c) ?? name;
        var shown = model.Nodes.GroupBy(n => Shown(n.Name)).ToList();
        var scopeNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in shown)
            for (int i = g.Key.IndexOf('/'); i > 0; i = g.Key.IndexOf('/', i + 1)) scopeNames.Add(g.Key[..i]);
        Scopes.Add(new Scope { Name = "", Id = 0 });
        var byName = new Dictionary<string, Scope>(StringComparer.Ordinal) { [""] = Root };
        foreach (var name in scopeNames.OrderBy(n => n.Count(c => c == '/')).ThenBy(n => n, StringComparer.Ordinal))
        {
            var parent = byName[ParentOf(name)];
            var s = new Scope { Name = name, Parent = parent, Id = Scopes.Count };
            parent.Children.Add(s);
            Scopes.Add(s);
            byName[name] = s;
        }

        var nodes = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var g in shown)
        {
            var first = g.First();
            bool collapsed = collapse.Contains(g.Key);
            // A node named like a scope ("dense/kernel" beside "dense/kernel/read") is drawn inside that scope's box.
            var scope = byName.TryGetValue(g.Key, out var own) ? own : byName[ParentOf(g.Key)];
            var label = g.Key[(g.Key.LastIndexOf('/') + 1)..];
            var sub = collapsed ? $"{g.Count()} ops" : first.Op;
            var outputs = collapsed ? "" : string.Join("\n", first.Outputs.Select((t, i) => $"{i}: {t.DType} {t.Shape}"));
            var node = new Node
            {
                Id = g.Key, Label = label, Sub = sub, Scope = scope, Index = Nodes.Count,
                Kind = collapsed ? "scope" : first.Kind,
                Tooltip = collapsed ? $"{g.Key} (collapsed: {g.Count()} ops)" : $"{first.Name} ({first.Op})\n{outputs}".TrimEnd(),
                W = Math.Max(64, Math.Max(label.Length * 7.0, sub.Length * 6.0) + 20),
            };
            Nodes.Add(node);
            scope.Nodes.Add(node);
            nodes[g.Key] = node;
        }

        var seen = new HashSet<(string, string, bool)>();
        var outputsOf = model.Nodes.ToDictionary(n => n.Name, n => n.Outputs, StringComparer.Ordinal);
        foreach (var n in model.Nodes)
            foreach (var input in n.Inputs)
            {
                if (!nodes.TryGetValue(Shown(input.Node), out var from)) continue; // dangling input: nothing to draw
                var to = nodes[Shown(n.Name)];
                if (from == to || !seen.Add((from.Id, to.Id, input.Control))) continue;
                var label = input.Control ? "" :
                    outputsOf.TryGetValue(input.Node, out var outs) && input.Index < outs.Length ? outs[input.Index].Shape : "";
                Edges.Add(new Edge(from, to, label == "?" ? "" : label, input.Control, Back: false));
            }
    }

    private static string ParentOf(string name) => name.LastIndexOf('/') is var i and > 0 ? name[..i] : "";

    // ---------- layers ----------
    private void AssignLayers()
    {
        // Back edges (the loops of while graphs) by an iterative depth-first search; they are drawn, not layered.
        var outEdges = Nodes.ToDictionary(n => n, _ => new List<int>());
        for (int i = 0; i < Edges.Count; i++) outEdges[Edges[i].From].Add(i);
        var state = new Dictionary<Node, int>(); // 1 on the stack, 2 done
        var back = new HashSet<int>();
        foreach (var start in Nodes)
        {
            if (state.ContainsKey(start)) continue;
            var stack = new Stack<(Node Node, int Next)>();
            stack.Push((start, 0));
            state[start] = 1;
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                var list = outEdges[node];
                if (next == list.Count) { state[node] = 2; continue; }
                stack.Push((node, next + 1));
                var target = Edges[list[next]].To;
                if (!state.TryGetValue(target, out var s)) { state[target] = 1; stack.Push((target, 0)); }
                else if (s == 1) back.Add(list[next]);
            }
        }
        foreach (var i in back) Edges[i] = Edges[i] with { Back = true };

        var forward = Edges.Where(e => !e.Back).ToList();
        var preds = Nodes.ToDictionary(n => n, _ => new List<Node>());
        var succs = Nodes.ToDictionary(n => n, _ => new List<Node>());
        foreach (var e in forward) { preds[e.To].Add(e.From); succs[e.From].Add(e.To); }
        var pending = Nodes.ToDictionary(n => n, n => preds[n].Count);
        var queue = new Queue<Node>(Nodes.Where(n => pending[n] == 0));
        var topo = new List<Node>();
        while (queue.Count > 0)
        {
            var n = queue.Dequeue();
            topo.Add(n);
            n.Layer = preds[n].Count == 0 ? 0 : preds[n].Max(p => p.Layer) + 1;
            foreach (var s in succs[n]) if (--pending[s] == 0) queue.Enqueue(s);
        }
        // Sources (constants, variables, placeholders) sit just above their first consumer, not all at the top.
        foreach (var n in Enumerable.Reverse(topo))
            if (preds[n].Count == 0 && succs[n].Count > 0) n.Layer = Math.Max(0, succs[n].Min(s => s.Layer) - 1);
        var min = Nodes.Count == 0 ? 0 : Nodes.Min(n => n.Layer);
        foreach (var n in Nodes) n.Layer -= min;
        Layers = Nodes.Count == 0 ? 0 : Nodes.Max(n => n.Layer) + 1;
    }

    private void AddDummies()
    {
        foreach (var e in Edges.Where(e => !e.Back))
        {
            var prev = e.From;
            var scope = CommonScope(e.From.Scope, e.To.Scope);
            for (int l = e.From.Layer + 1; l < e.To.Layer; l++)
            {
                var d = new Node { Id = $"{e.From.Id}->{e.To.Id}#{l}", Label = "", Sub = "", Kind = "dummy", Dummy = true, Scope = scope, Index = Nodes.Count, W = 8, Layer = l };
                Nodes.Add(d);
                scope.Nodes.Add(d);
                e.Dummies.Add(d);
                Link(prev, d);
                prev = d;
            }
            Link(prev, e.To);
        }

        static void Link(Node a, Node b) { a.Down.Add(b); b.Up.Add(a); }
    }

    private static Scope CommonScope(Scope a, Scope b)
    {
        var ancestors = a.Ancestors().ToHashSet();
        return b.Ancestors().First(ancestors.Contains);
    }

    // ---------- order within layers ----------
    private void Order()
    {
        foreach (var n in Nodes) n.Chain = n.Scope.Ancestors().Reverse().ToArray();
        var layers = Enumerable.Range(0, Layers).Select(l => Nodes.Where(n => n.Layer == l).ToList()).ToList();
        foreach (var layer in layers)
            for (int i = 0; i < layer.Count; i++) layer[i].Order = i;
        for (int sweep = 0; sweep < 8; sweep++)
        {
            ScopeKeys();
            bool down = sweep % 2 == 0;
            for (int k = 1; k < Layers; k++)
            {
                var layer = layers[down ? k : Layers - 1 - k];
                foreach (var n in layer)
                {
                    var nb = down ? n.Up : n.Down;
                    n.Key = nb.Count == 0 ? n.Order : nb.Average(m => m.Order);
                }
                Sort(layer);
            }
        }
        // A last pass keeps each layer's order and records the keys it sorted by, which the x placement packs in.
        ScopeKeys();
        foreach (var layer in layers)
        {
            foreach (var n in layer) n.Key = n.Order;
            Sort(layer);
        }
    }

    /// <summary>A scope's key: the mean position of everything in it, in every layer, so it sorts the same way in each.</summary>
    private void ScopeKeys()
    {
        foreach (var s in Scopes.OrderByDescending(s => s.Depth))
        {
            var members = Members(s).ToList();
            s.Key = members.Count == 0 ? 0 : members.Average(n => n.Order);
        }
    }

    private static IEnumerable<Node> Members(Scope s) => s.Nodes.Concat(s.Children.SelectMany(Members));

    private static void Sort(List<Node> layer)
    {
        layer.Sort(Compare);
        for (int i = 0; i < layer.Count; i++) layer[i].Order = i;
    }

    /// <summary>Siblings compare by key: a node by its own, a scope by the scope's, so a scope's members stay together.</summary>
    private static int Compare(Node a, Node b)
    {
        if (a == b) return 0;
        var (pa, pb) = (a.Chain, b.Chain);
        int i = 0;
        while (i < pa.Length && i < pb.Length && pa[i] == pb[i]) i++;
        var (ka, ia) = i < pa.Length ? (pa[i].Key, pa[i].Id) : (a.Key, -1 - a.Index);
        var (kb, ib) = i < pb.Length ? (pb[i].Key, pb[i].Id) : (b.Key, -1 - b.Index);
        var c = ka.CompareTo(kb);
        return c != 0 ? c : ia.CompareTo(ib);
    }

    // ---------- x positions ----------
    private void Place()
    {
        Height(Root);
        var maxTop = Scopes.Skip(1).Select(PadTop).DefaultIfEmpty(0).Max();
        var maxBottom = Scopes.Skip(1).Select(s => PadBottom * s.Height).DefaultIfEmpty(0).Max();
        _pitch = H + maxTop + maxBottom + 26;
        Pack(Root);
        Shift(Root, Margin);
        for (int pass = 0; pass < 3; pass++) Nudge();
    }

    private static int Height(Scope s) => s.Height = s.Children.Count == 0 ? 1 : 1 + s.Children.Max(Height);
    private static double PadTop(Scope s) => s.Height * LabelH + 4;

    /// <summary>Places a scope's nodes and child boxes left to right in key order, relative to the scope's left edge.</summary>
    private static void Pack(Scope s)
    {
        foreach (var c in s.Children) Pack(c);
        var pad = s.Parent is null ? 0 : PadX;
        var skyline = new Dictionary<int, double>();
        var items = s.Nodes.Select(n => (Key: n.Key, Id: -1 - n.Index, Node: (Node?)n, Scope: (Scope?)null))
            .Concat(s.Children.Select(c => (c.Key, c.Id, Node: (Node?)null, Scope: (Scope?)c)))
            .OrderBy(i => i.Key).ThenBy(i => i.Id).ToList();
        foreach (var item in items)
        {
            var (lo, hi, w) = item.Node is { } n ? (n.Layer, n.Layer, n.W) : (item.Scope!.Lo, item.Scope.Hi, item.Scope.W);
            var margin = item.Scope is null ? 0 : BoxMargin; // a little more room beside a box than between nodes
            double x = pad;
            for (int l = lo; l <= hi; l++)
                if (skyline.TryGetValue(l, out var right)) x = Math.Max(x, right + Gap + margin);
            for (int l = lo; l <= hi; l++) skyline[l] = x + w + margin;
            if (item.Node is { } node) node.X = x; else item.Scope!.X = x;
            s.Lo = Math.Min(s.Lo, lo);
            s.Hi = Math.Max(s.Hi, hi);
        }
        s.W = Math.Max(skyline.Values.DefaultIfEmpty(0).Max() + pad, s.Name.Length * 7.0 + 2 * PadX);
    }

    /// <summary>Turns positions relative to each scope's left edge into absolute ones, the scope starting at <paramref name="origin"/>.</summary>
    private static void Shift(Scope s, double origin)
    {
        if (s.Parent is null) s.X = origin;
        foreach (var n in s.Nodes) n.X += origin;
        foreach (var c in s.Children)
        {
            c.X += origin;
            Shift(c, c.X);
        }
    }

    /// <summary>Moves each node toward the mean of its neighbours, never past the next node or box in its layer or out of its own box.</summary>
    private void Nudge()
    {
        var byLayer = Nodes.GroupBy(n => n.Layer).ToDictionary(g => g.Key, g => g.ToList());
        var boxes = Scopes.Skip(1).ToList();
        foreach (var n in Nodes.OrderBy(n => n.Layer).ThenBy(n => n.X))
        {
            if (n.Up.Count + n.Down.Count == 0) continue;
            var want = n.Up.Concat(n.Down).Average(m => m.Center) - n.W / 2;
            double lo = Margin, hi = double.PositiveInfinity;
            foreach (var s in n.Chain.Skip(1)) { lo = Math.Max(lo, s.X + PadX); hi = Math.Min(hi, s.X + s.W - PadX); }
            foreach (var m in byLayer[n.Layer])
                if (m == n) continue;
                else if (m.X < n.X) lo = Math.Max(lo, m.X + m.W + Gap);
                else hi = Math.Min(hi, m.X - Gap);
            foreach (var s in boxes)
                if (s.Lo <= n.Layer && n.Layer <= s.Hi && Array.IndexOf(n.Chain, s) < 0)
                    if (s.X < n.X) lo = Math.Max(lo, s.X + s.W + Gap + BoxMargin); else hi = Math.Min(hi, s.X - Gap - BoxMargin);
            n.X = Math.Clamp(want, lo, Math.Max(lo, hi - n.W));
        }
    }

    // ---------- SVG ----------
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private double Y(int layer) => Top + layer * _pitch + Scopes.Skip(1).Select(PadTop).DefaultIfEmpty(0).Max();
    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private const string Style = """
        text { font-family: 'Segoe UI', Helvetica, Arial, sans-serif; }
        .title { font-size: 16px; font-weight: 600; fill: #1f2937; }
        .legend text { font-size: 11px; fill: #374151; }
        rect.scope { fill: #64748b; fill-opacity: 0.06; stroke: #94a3b8; stroke-width: 1.2; }
        .scope-label { font-size: 12px; font-weight: 600; fill: #475569; }
        .node rect { stroke-width: 1.5; }
        .node .name { font-size: 12px; fill: #111827; text-anchor: middle; }
        .node .op { font-size: 10px; fill: #4b5563; text-anchor: middle; }
        .placeholder rect { fill: #ffedd5; stroke: #ea580c; }
        .variable rect { fill: #dcfce7; stroke: #15803d; }
        .const rect { fill: #f3f4f6; stroke: #9ca3af; }
        .op rect { fill: #dbeafe; stroke: #2563eb; }
        .unknown rect { fill: #fee2e2; stroke: #dc2626; stroke-dasharray: 4 3; }
        .scope-node rect { fill: #ede9fe; stroke: #7c3aed; }
        path.edge { fill: none; stroke: #6b7280; stroke-width: 1.3; }
        path.control { stroke: #b0b7c3; stroke-dasharray: 5 4; }
        path.back { stroke: #a855f7; stroke-dasharray: 6 3; }
        .edge-label { font-size: 10px; fill: #374151; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; }
        """;

    public XDocument ToSvg(string title)
    {
        var real = Nodes.Where(n => !n.Dummy).ToList();
        double width = Math.Max(LegendWidth + 2 * Margin, Nodes.Select(n => n.X + n.W).Concat(Scopes.Skip(1).Select(s => s.X + s.W)).DefaultIfEmpty(0).Max() + Margin);
        double height = Y(Math.Max(Layers, 1)) + Margin;
        var root = new XElement(Svg + "svg",
            new XAttribute("width", F(width)), new XAttribute("height", F(height)),
            new XAttribute("viewBox", $"0 0 {F(width)} {F(height)}"),
            new XElement(Svg + "title", title),
            new XElement(Svg + "style", Style),
            new XElement(Svg + "defs",
                new XElement(Svg + "marker", new XAttribute("id", "arrow"), new XAttribute("viewBox", "0 0 10 10"), new XAttribute("refX", "9"),
                    new XAttribute("refY", "5"), new XAttribute("markerWidth", "7"), new XAttribute("markerHeight", "7"), new XAttribute("orient", "auto-start-reverse"),
                    new XElement(Svg + "path", new XAttribute("d", "M 0 0 L 10 5 L 0 10 z"), new XAttribute("fill", "#6b7280")))),
            new XElement(Svg + "text", new XAttribute("class", "title"), new XAttribute("x", F(Margin)), new XAttribute("y", "24"),
                $"{title}: {real.Count} nodes, {Scopes.Count - 1} name scopes"),
            Legend());

        var scopes = new XElement(Svg + "g", new XAttribute("class", "scopes"));
        foreach (var s in Scopes.Skip(1).OrderBy(s => s.Depth))
        {
            var top = Y(s.Lo) - PadTop(s);
            var bottom = Y(s.Hi) + H + PadBottom * s.Height;
            scopes.Add(new XElement(Svg + "g", new XAttribute("class", "scope"), new XAttribute("data-name", s.Name),
                new XElement(Svg + "rect", new XAttribute("class", "scope"), new XAttribute("x", F(s.X)), new XAttribute("y", F(top)),
                    new XAttribute("width", F(s.W)), new XAttribute("height", F(bottom - top)), new XAttribute("rx", "12")),
                new XElement(Svg + "text", new XAttribute("class", "scope-label"), new XAttribute("x", F(s.X + 10)), new XAttribute("y", F(top + 14)),
                    s.Name[(s.Name.LastIndexOf('/') + 1)..])));
        }
        root.Add(scopes);

        var edges = new XElement(Svg + "g", new XAttribute("class", "edges"));
        foreach (var e in Edges)
        {
            var cls = "edge" + (e.Control ? " control" : "") + (e.Back ? " back" : "");
            var (d, labelAt) = PathOf(e);
            edges.Add(new XElement(Svg + "path", new XAttribute("class", cls), new XAttribute("d", d), new XAttribute("marker-end", "url(#arrow)"),
                new XAttribute("data-from", e.From.Id), new XAttribute("data-to", e.To.Id)));
            if (e.Label.Length > 0)
                edges.Add(new XElement(Svg + "text", new XAttribute("class", "edge-label"), new XAttribute("x", F(labelAt.X)), new XAttribute("y", F(labelAt.Y)),
                    new XAttribute("data-from", e.From.Id), new XAttribute("data-to", e.To.Id), e.Label));
        }
        root.Add(edges);

        var nodes = new XElement(Svg + "g", new XAttribute("class", "nodes"));
        foreach (var n in real)
        {
            var y = Y(n.Layer);
            var cls = n.Kind == "scope" ? "node scope-node" : $"node {n.Kind}";
            var g = new XElement(Svg + "g", new XAttribute("class", cls), new XAttribute("data-name", n.Id),
                new XElement(Svg + "title", n.Tooltip),
                new XElement(Svg + "rect", new XAttribute("x", F(n.X)), new XAttribute("y", F(y)), new XAttribute("width", F(n.W)),
                    new XAttribute("height", F(H)), new XAttribute("rx", n.Kind is "placeholder" or "variable" ? "18" : "6")));
            if (n.Kind == "scope")
                g.Add(new XElement(Svg + "rect", new XAttribute("x", F(n.X + 3)), new XAttribute("y", F(y + 3)), new XAttribute("width", F(n.W - 6)),
                    new XAttribute("height", F(H - 6)), new XAttribute("rx", "4"), new XAttribute("fill", "none")));
            g.Add(new XElement(Svg + "text", new XAttribute("class", "name"), new XAttribute("x", F(n.Center)), new XAttribute("y", F(y + 15)), n.Label),
                  new XElement(Svg + "text", new XAttribute("class", "op"), new XAttribute("x", F(n.Center)), new XAttribute("y", F(y + 29)), n.Sub));
            nodes.Add(g);
        }
        root.Add(nodes);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    private static readonly (string Kind, string Text)[] LegendItems =
        [("placeholder", "placeholder"), ("variable", "variable"), ("const", "constant"), ("op", "op"), ("unknown", "op DataflowNet lacks"), ("scope-node", "collapsed scope")];
    private static double LegendWidth => LegendItems.Sum(i => 34 + i.Text.Length * 6.2);

    private XElement Legend()
    {
        var g = new XElement(Svg + "g", new XAttribute("class", "legend"));
        double x = Margin;
        foreach (var (kind, text) in LegendItems)
        {
            g.Add(new XElement(Svg + "g", new XAttribute("class", $"legend-item {kind}"),
                new XElement(Svg + "rect", new XAttribute("x", F(x)), new XAttribute("y", "36"), new XAttribute("width", "14"), new XAttribute("height", "12"), new XAttribute("rx", "3"))),
                new XElement(Svg + "text", new XAttribute("x", F(x + 19)), new XAttribute("y", "46"), text));
            x += 34 + text.Length * 6.2;
        }
        return g;
    }

    /// <summary>The edge's path (smooth curves between layers, straight through dummy nodes) and where its label goes.</summary>
    private (string D, (double X, double Y) Label) PathOf(Edge e)
    {
        if (e.Back)
        {
            double fx = e.From.X + e.From.W, fy = Y(e.From.Layer) + H / 2, tx = e.To.X + e.To.W, ty = Y(e.To.Layer) + H / 2;
            var bulge = 40 + Math.Abs(fy - ty) * 0.15;
            return ($"M {F(fx)} {F(fy)} C {F(fx + bulge)} {F(fy)}, {F(tx + bulge)} {F(ty)}, {F(tx)} {F(ty)}", ((fx + tx) / 2 + bulge * 0.75, (fy + ty) / 2));
        }
        var points = new List<(double X, double Y)> { (e.From.Center, Y(e.From.Layer) + H) };
        foreach (var d in e.Dummies) { points.Add((d.Center, Y(d.Layer))); points.Add((d.Center, Y(d.Layer) + H)); }
        points.Add((e.To.Center, Y(e.To.Layer)));
        var sb = new System.Text.StringBuilder($"M {F(points[0].X)} {F(points[0].Y)}");
        for (int i = 1; i < points.Count; i++)
        {
            var (a, b) = (points[i - 1], points[i]);
            if (i % 2 == 0) { sb.Append($" L {F(b.X)} {F(b.Y)}"); continue; } // straight down through a dummy node
            var dy = (b.Y - a.Y) / 2;
            sb.Append($" C {F(a.X)} {F(a.Y + dy)}, {F(b.X)} {F(b.Y - dy)}, {F(b.X)} {F(b.Y)}");
        }
        var (p, q) = (points[0], points[1]);
        return (sb.ToString(), ((p.X + q.X) / 2 + 5, p.Y + (q.Y - p.Y) * 0.45));
    }
}
