/* placeholder: being written (issue 10) */
