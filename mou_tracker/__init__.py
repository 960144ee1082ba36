"""mou_tracker."""
