package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// modulePath is this repository's Go module; a type's package path below
// it names the folder its source is in.
const modulePath = "github.com/milady-ai/milady-cloud"

// docs reads doc comments and the facade's parameter names from the Go
// source, which reflection does not carry.
type docs struct {
	root  string
	pkgs  map[string]*pkgDocs // package path → its docs
	facts *pkgDocs            // the facade's package
}

type pkgDocs struct {
	types   map[string]string   // type name → doc
	fields  map[string]string   // "Type.Field" → doc and line comment
	methods map[string]string   // facade method → doc
	params  map[string][]string // facade method → parameter names
}

func loadDocs(root string) (*docs, error) {
	d := &docs{root: root, pkgs: map[string]*pkgDocs{}}
	f, err := d.pkg(facade.Elem().PkgPath())
	if err != nil {
		return nil, err
	}
	d.facts = f
	return d, nil
}

// pkg parses the non-test Go files of one package of this module.
func (d *docs) pkg(path string) (*pkgDocs, error) {
	if p, ok := d.pkgs[path]; ok {
		return p, nil
	}
	p := &pkgDocs{types: map[string]string{}, fields: map[string]string{}, methods: map[string]string{}, params: map[string][]string{}}
	d.pkgs[path] = p
	rel, ok := strings.CutPrefix(path, modulePath)
	if !ok {
		return p, nil // outside the module (time): nothing to read
	}
	dir := filepath.Join(d.root, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("read source of %s in %s: no Go files (run from the repository root or pass -root)", path, dir)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		file, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		p.add(file)
	}
	return p, nil
}

func (p *pkgDocs) add(file *ast.File) {
	for _, decl := range file.Decls {
		switch decl := decl.(type) {
		case *ast.GenDecl:
			for _, spec := range decl.Specs {
				ts, ok := spec.(*ast.TypeSpec)
				if !ok {
					continue
				}
				doc := ts.Doc
				if doc == nil && len(decl.Specs) == 1 {
					doc = decl.Doc
				}
				p.types[ts.Name.Name] = doc.Text()
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, f := range st.Fields.List {
					text := strings.TrimSpace(f.Doc.Text() + " " + f.Comment.Text())
					for _, n := range f.Names {
						p.fields[ts.Name.Name+"."+n.Name] = text
					}
				}
			}
		case *ast.FuncDecl:
			if decl.Recv == nil || len(decl.Recv.List) != 1 || !isFacadeRecv(decl.Recv.List[0].Type) {
				continue
			}
			p.methods[decl.Name.Name] = decl.Doc.Text()
			var names []string
			for _, f := range decl.Type.Params.List {
				for _, n := range f.Names {
					names = append(names, n.Name)
				}
			}
			p.params[decl.Name.Name] = names
		}
	}
}

func isFacadeRecv(e ast.Expr) bool {
	star, ok := e.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == facade.Elem().Name()
}

func (d *docs) typeDoc(t reflect.Type) string {
	p, err := d.pkg(t.PkgPath())
	if err != nil {
		return ""
	}
	return p.types[t.Name()]
}

func (d *docs) fieldDoc(t reflect.Type, field string) string {
	if t.Name() == "" {
		return ""
	}
	p, err := d.pkg(t.PkgPath())
	if err != nil {
		return ""
	}
	return p.fields[t.Name()+"."+field]
}

func (d *docs) methodDoc(name string) string { return d.facts.methods[name] }
func (d *docs) params(name string) []string  { return d.facts.params[name] }

// writeComment writes text as a JSDoc comment; for a named type it adds
// the Go type it comes from, so a reader knows where to change it.
func (d *docs) writeComment(b *strings.Builder, indent, text string, origin reflect.Type) {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, strings.ReplaceAll(l, "*/", "* /"))
		}
	}
	if origin != nil {
		pkg := origin.PkgPath()
		pkg = pkg[strings.LastIndex(pkg, "/")+1:]
		lines = append(lines, "Go: "+pkg+"."+origin.Name())
	}
	switch len(lines) {
	case 0:
	case 1:
		fmt.Fprintf(b, "%s/** %s */\n", indent, lines[0])
	default:
		fmt.Fprintf(b, "%s/**\n", indent)
		for _, l := range lines {
			fmt.Fprintf(b, "%s * %s\n", indent, l)
		}
		fmt.Fprintf(b, "%s */\n", indent)
	}
}
