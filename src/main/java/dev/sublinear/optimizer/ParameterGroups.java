package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of parameters stepped together ({@link BatchStep}): for each state array (R and C, or V;
 * then M) one buffer holding every member's array back to back, each member's own array a view of
 * its part. A batched step then reads and writes the state in place, with no per-member copies, and
 * the members' state, checkpoints and memory figures stay what they were (the views have the
 * members' shapes and bytes).
 *
 * <p>Groups are made from the members one {@code updateAll} call steps together and kept while the
 * same members come; a member that turns up in another group gets its own arrays back first.
 */
final class ParameterGroups {

    private final Map<List<ParameterState>, Group> byMembers = new HashMap<>();
    private final Map<ParameterState, Group> groupOf = new IdentityHashMap<>();

    /** One group's buffers, in {@link ParameterState#arrays()} order, and the views its members hold. */
    private record Group(List<ParameterState> members, List<NDArray> buffers, List<NDArray> views) {}

    /**
     * The members' state arrays stacked: one array per kind, shaped [P, ...] (a view of the group's
     * buffer created in {@code step}). Forms the group at its first use.
     *
     * @param members states of one shape, type and device, in a stable order
     */
    List<NDArray> batched(List<ParameterState> members, NDManager step) {
        Group group = byMembers.get(members);
        if (group == null) {
            group = form(members);
        }
        List<NDArray> batched = new ArrayList<>();
        for (NDArray buffer : group.buffers()) {
            Shape part = buffer.getShape();
            long[] dims = new long[part.dimension() + 1];
            dims[0] = members.size();
            dims[1] = part.get(0) / members.size();
            for (int d = 1; d < part.dimension(); d++) {
                dims[d + 1] = part.get(d);
            }
            buffer.tempAttach(step);
            batched.add(buffer.reshape(new Shape(dims)));
        }
        return batched;
    }

    private Group form(List<ParameterState> members) {
        for (ParameterState member : members) {
            Group previous = groupOf.get(member);
            if (previous != null) {
                dissolve(previous);
            }
        }
        int kinds = members.get(0).arrays().size();
        List<NDArray> buffers = new ArrayList<>();
        List<List<NDArray>> parts = new ArrayList<>();
        List<NDArray> views = new ArrayList<>();
        for (int kind = 0; kind < kinds; kind++) {
            NDList arrays = new NDList();
            for (ParameterState member : members) {
                arrays.add(member.arrays().get(kind));
            }
            // in the manager of the members' state (their device's), like the arrays it replaces
            NDArray buffer = NDArrays.concat(arrays);
            buffers.add(buffer);
            NDList split = buffer.split(members.size(), 0);
            parts.add(split);
            views.addAll(split);
        }
        for (int i = 0; i < members.size(); i++) {
            ParameterState member = members.get(i);
            List<NDArray> old = member.arrays();
            List<NDArray> moved = new ArrayList<>();
            for (List<NDArray> kind : parts) {
                moved.add(kind.get(i));
            }
            member.moveTo(moved);
            old.forEach(NDArray::close);
        }
        Group group = new Group(List.copyOf(members), buffers, views);
        byMembers.put(group.members(), group);
        members.forEach(m -> groupOf.put(m, group));
        return group;
    }

    /** Gives each member its own copy of its arrays and frees the group's buffers. */
    private void dissolve(Group group) {
        for (ParameterState member : group.members()) {
            List<NDArray> copies = new ArrayList<>();
            for (NDArray view : member.arrays()) {
                copies.add(view.duplicate());
            }
            member.moveTo(copies);
            groupOf.remove(member);
        }
        group.views().forEach(NDArray::close);
        group.buffers().forEach(NDArray::close);
        byMembers.remove(group.members());
    }

    /** Forgets every group (their arrays are freed with their device's manager). */
    void clear() {
        byMembers.clear();
        groupOf.clear();
    }
}
