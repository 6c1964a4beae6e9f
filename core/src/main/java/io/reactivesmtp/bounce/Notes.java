package io.reactivesmtp.bounce;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The notes of one report: each once, at most {@link #MAX} (a hostile message cannot make them grow). */
final class Notes {

    static final int MAX = 32;

    private final Set<String> notes = new LinkedHashSet<>();

    void add(String note) {
        if (notes.size() < MAX) {
            notes.add(note);
        }
    }

    List<String> list() {
        return new ArrayList<>(notes);
    }
}
