"""Learning content: modules of lessons and question sets (DESIGN section 7)."""
