//! The module graph: which analysed module imports which, and its strongly connected components
//! in bottom-up order (a module's dependencies come before it; modules that import each other
//! form one component and are linked together to a fixpoint).

/// Strongly connected components of a graph given as adjacency lists (`edges[m]` = modules `m`
/// imports), in reverse topological order: every component comes after the components it
/// depends on. Iterative Tarjan, linear in nodes + edges, no recursion (deep import chains are
/// fine).
pub fn bottom_up_components(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut next = 0usize;
    // (node, position in its edge list)
    let mut work: Vec<(usize, usize)> = Vec::new();
    for start in 0..n {
        if index[start] != UNSEEN {
            continue;
        }
        work.push((start, 0));
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if *pos == 0 && index[v] == UNSEEN {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(*pos) {
                *pos += 1;
                if w >= n {
                    continue;
                }
                if index[w] == UNSEEN {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comp.sort_unstable();
                out.push(comp);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_come_first_and_cycles_group() {
        // 0 -> 1 -> 2, 2 -> 1 (cycle), 3 -> 0, 4 alone
        let edges = vec![vec![1], vec![2], vec![1], vec![0], vec![]];
        let comps = bottom_up_components(&edges);
        let pos = |m: usize| comps.iter().position(|c| c.contains(&m)).expect("present");
        assert_eq!(comps.iter().find(|c| c.contains(&1)), Some(&vec![1, 2]));
        assert!(pos(1) < pos(0));
        assert!(pos(0) < pos(3));
        assert_eq!(comps.iter().map(Vec::len).sum::<usize>(), 5);
    }

    #[test]
    fn long_chains_do_not_recurse() {
        let n = 200_000;
        let edges: Vec<Vec<usize>> = (0..n).map(|i| if i + 1 < n { vec![i + 1] } else { vec![] }).collect();
        let comps = bottom_up_components(&edges);
        assert_eq!(comps.len(), n);
        assert_eq!(comps[0], vec![n - 1]);
    }
}
